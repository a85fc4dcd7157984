import { html, page } from './html.js'

export interface AppsPageModel {
  readonly email: string
  readonly csrf: string
  readonly message?: string
  readonly apps: readonly {
    readonly id: string
    readonly clientName: string
    readonly orgName: string
    readonly scopes: readonly string[]
    readonly status: 'connected' | 'disconnected'
    readonly createdAt: string
    readonly lastUsedAt: string | null
  }[]
}

/** The signed-in user's Connected Applications, each with a Disconnect button. */
export function appsPage(model: AppsPageModel): string {
  const rows = model.apps.map(
    (app) =>
      html`<tr>
        <th scope="row">${app.clientName}</th>
        <td>${app.orgName}</td>
        <td>${app.scopes.join(' ')}</td>
        <td>${app.createdAt.slice(0, 10)}</td>
        <td>${app.lastUsedAt?.slice(0, 10) ?? 'never'}</td>
        <td>
          ${
            app.status === 'connected'
              ? html`<form method="post" action="/apps/${app.id}/disconnect">
                  <input type="hidden" name="csrf" value="${model.csrf}" />
                  <button type="submit" class="secondary" aria-label="Disconnect ${app.clientName}">Disconnect</button>
                </form>`
              : html`<s>disconnected</s>`
          }
        </td>
      </tr>`,
  )
  return page(
    'Connected Applications',
    html`<h1>Connected Applications</h1>
      <p>Signed in as <strong>${model.email}</strong>.</p>
      ${model.message === undefined ? '' : html`<p role="status">${model.message}</p>`}${
        model.apps.length === 0
          ? html`<p>No application is connected to your account.</p>`
          : html`<table>
              <caption>
                Applications that can act for you
              </caption>
              <thead>
                <tr>
                  <th scope="col">Application</th>
                  <th scope="col">Organization</th>
                  <th scope="col">Access</th>
                  <th scope="col">Connected</th>
                  <th scope="col">Last used</th>
                  <th scope="col"><span class="visually-hidden">Action</span></th>
                </tr>
              </thead>
              <tbody>
                ${rows}
              </tbody>
            </table>`
      }
      <form method="post" action="/account/logout">
        <input type="hidden" name="csrf" value="${model.csrf}" /><button type="submit" class="secondary">
          Sign out
        </button>
      </form>`,
  )
}

export function accountLoginPage(model: { csrf: string; error?: string; email?: string }): string {
  return page(
    'Sign in',
    html`<h1>Sign in to Gatehouse</h1>
      ${model.error === undefined ? '' : html`<p class="alert" role="alert" id="login-error">${model.error}</p>`}
      <form method="post" action="/account/login">
        <input type="hidden" name="csrf" value="${model.csrf}" /> <label for="email">Email</label
        ><input id="email" name="email" type="email" autocomplete="username" required value="${model.email ?? ''}" />
        <label for="password">Password</label
        ><input id="password" name="password" type="password" autocomplete="current-password" required />
        <button type="submit">Sign in</button>
      </form>`,
  )
}
