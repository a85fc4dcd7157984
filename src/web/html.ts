/** Text for HTML content and attribute values: every character that could end one is an entity. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** A template tag whose interpolations are escaped unless they are `Html` already. */
export class Html {
  readonly value: string
  constructor(value: string) {
    this.value = value
  }
  toString(): string {
    return this.value
  }
}

type Part = string | number | Html | readonly Html[] | undefined | false

export function html(strings: TemplateStringsArray, ...parts: Part[]): Html {
  let out = strings[0] ?? ''
  parts.forEach((part, i) => {
    if (part instanceof Html) out += part.value
    else if (Array.isArray(part)) out += (part as readonly Html[]).map((p) => p.value).join('')
    else if (part !== undefined && part !== false) out += escapeHtml(String(part))
    out += strings[i + 1] ?? ''
  })
  return new Html(out)
}

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f4f5f7;color:#1c1e21;line-height:1.5}
main{max-width:32rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:8px;box-shadow:0 1px 4px #0002}
h1{font-size:1.4rem;margin-top:0}label{display:block;font-weight:600;margin-top:1rem}
input[type=email],input[type=password]{width:100%;box-sizing:border-box;padding:.6rem;font-size:1rem;border:1px solid #888;border-radius:4px}
button,.button{display:inline-block;margin-top:1.25rem;padding:.6rem 1.2rem;font-size:1rem;border-radius:4px;border:1px solid #1a56db;background:#1a56db;color:#fff;cursor:pointer;text-decoration:none}
button.secondary{background:#fff;color:#1a56db}.alert{background:#fde8e8;border:1px solid #c81e1e;padding:.75rem;border-radius:4px}
.warning{background:#fdf6b2;border:1px solid #8e4b10;padding:.75rem;border-radius:4px}.host{font-size:1.2rem;font-weight:700;word-break:break-all}
fieldset{border:1px solid #ccc;border-radius:4px;margin-top:1rem}legend{font-weight:600}ul.scopes li{margin:.25rem 0}
:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}`

/** One page: server-rendered, usable without JavaScript, nothing loaded from elsewhere. */
export function page(title: string, body: Html): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>${title} · Gatehouse</title>
        <style>
          ${new Html(STYLE)}
        </style>
      </head>
      <body>
        <main id="main">${body}</main>
      </body>
    </html>`.value
}

export function errorPage(title: string, message: string): string {
  return page(
    title,
    html`<h1>${title}</h1>
      <p class="alert" role="alert">${message}</p>`,
  )
}
