import { html, page } from './html.js'

export interface LoginPageModel {
  readonly action: string
  readonly csrf: string
  readonly clientName: string
  readonly email?: string
  readonly error?: string
  readonly localLogin: boolean
  /** Upstream identity providers: a link each. */
  readonly providers: readonly { readonly id: string; readonly label: string; readonly href: string }[]
}

export function loginPage(model: LoginPageModel): string {
  const error = model.error === undefined ? '' : html`<p class="alert" role="alert" id="login-error">${model.error}</p>`
  const local = model.localLogin
    ? html`<form method="post" action="${model.action}" novalidate>
        <input type="hidden" name="csrf" value="${model.csrf}" />
        <label for="email">Email</label>
        <input
          id="email"
          name="email"
          type="email"
          autocomplete="username"
          required
          value="${model.email ?? ''}"
          ${model.error === undefined ? '' : html` aria-describedby="login-error"`}
        />
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required />
        <button type="submit">Sign in</button>
      </form>`
    : ''
  const providers =
    model.providers.length === 0
      ? ''
      : html`<nav aria-label="Sign in with another account">
          <ul>
            ${model.providers.map((p) => html`<li><a class="button" href="${p.href}">Sign in with ${p.label}</a></li>`)}
          </ul>
        </nav>`
  return page(
    'Sign in',
    html`<h1>Sign in to Gatehouse</h1>
      <p><strong>${model.clientName}</strong> wants to connect to your data.</p>
      ${error}${local}${providers}`,
  )
}
