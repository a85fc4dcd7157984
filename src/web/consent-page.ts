import { html, page } from './html.js'

export interface ConsentPageModel {
  readonly action: string
  readonly csrf: string
  readonly clientName: string
  readonly clientId: string
  /** The host the browser will be sent back to: what tells a user which application this really is. */
  readonly redirectHost: string
  /** Every redirect URI of the client is on this machine (a desktop app, or something that pretends to be one). */
  readonly localhostOnly: boolean
  readonly userEmail: string
  readonly scopes: readonly { readonly scope: string; readonly description: string }[]
  readonly orgs: readonly {
    readonly id: string
    readonly name: string
    readonly projects: readonly { readonly id: string; readonly name: string }[]
  }[]
  readonly error?: string
}

export function consentPage(model: ConsentPageModel): string {
  const single = model.orgs.length === 1
  const orgs = model.orgs.map(
    (org, index) =>
      html`<fieldset>
        <legend>
          ${single ? `Organization: ${org.name}` : ''}${
            single
              ? ''
              : html`<label style="display:inline;margin:0"
                  ><input type="radio" name="org" value="${org.id}" ${index === 0 ? html` checked` : ''} />
                  ${org.name}</label
                >`
          }
        </legend>
        ${single ? html`<input type="hidden" name="org" value="${org.id}" />` : ''}${
          org.projects.length === 0
            ? html`<p>This organization has no projects yet.</p>`
            : html`<p>Projects it may use:</p>
                ${org.projects.map(
                  (p) =>
                    html`<label style="font-weight:400"
                      ><input type="checkbox" name="project" value="${org.id}/${p.id}" checked /> ${p.name}</label
                    >`,
                )}`
        }
      </fieldset>`,
  )
  const warning = model.localhostOnly
    ? html`<p class="warning" role="note">
        <strong>This application runs on this computer</strong> (it only returns to localhost). Connect it only if you
        started it yourself.
      </p>`
    : ''
  const error = model.error === undefined ? '' : html`<p class="alert" role="alert">${model.error}</p>`
  return page(
    'Authorize application',
    html`<h1>Connect <q>${model.clientName}</q>?</h1>
      <p>After you approve, you will be sent to:</p>
      <p class="host">${model.redirectHost}</p>
      ${warning}${error}
      <p>Signed in as <strong>${model.userEmail}</strong>. The application will be able to:</p>
      <ul class="scopes">
        ${model.scopes.map((s) => html`<li>${s.description} <small>(${s.scope})</small></li>`)}
      </ul>
      <form method="post" action="${model.action}">
        <input type="hidden" name="csrf" value="${model.csrf}" />${orgs}
        <button type="submit" name="decision" value="approve">Approve</button>
        <button type="submit" name="decision" value="deny" class="secondary">Deny</button>
      </form>
      <p>
        <small>Client id: ${model.clientId}. You can disconnect it at any time under Connected Applications.</small>
      </p>`,
  )
}
