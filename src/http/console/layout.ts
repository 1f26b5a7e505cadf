// The page shell every console page shares: head (viewport, inline style), navigation, sign-out,
// and the live-refresh hook (live.ts). No build step, nothing from a CDN: it works offline.
import { html, raw } from "hono/html";
import type { Html } from "./format.ts";
import { CSRF_FIELD, type Session } from "./session.ts";
import { STYLE } from "./style.ts";

export type Section = "queue" | "orders" | "inventory";

export type PageOptions = {
  title: string;
  /** Signed in: navigation and sign-out are shown. */
  session?: Session;
  section?: Section;
  /** The live route that tells this page when what it shows has changed (live.ts). */
  live?: string;
};

const NAV: [Section, string, string][] = [
  ["queue", "/console", "Incidents"],
  ["orders", "/console/orders", "Orders"],
  ["inventory", "/console/inventory", "Inventory"],
];

/** The hidden field that carries the session's CSRF token in every form. */
export const csrfField = (session: Session) =>
  html`<input type="hidden" name="${CSRF_FIELD}" value="${session.csrfToken}">`;

export function page(options: PageOptions, body: Html): Html {
  const { session, section, live } = options;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · postpay console</title>
<style>${raw(STYLE)}</style>
${live ? html`<meta name="postpay-live" content="${live}"><script src="/console/assets/live.js" defer></script>` : ""}
</head>
<body>
<header>
  <a class="brand" href="/console">postpay</a>
  ${
    session
      ? html`<nav>${NAV.map(([s, href, label]) => html`<a href="${href}"${s === section ? raw(' aria-current="page"') : ""}>${label}</a>`)}</nav>
      <form method="post" action="/console/sign-out" class="sign-out">${csrfField(session)}<button class="link">Sign out</button></form>`
      : ""
  }
</header>
<main>
<p id="stale" class="notice" hidden>This page has changed. <a href="">Reload</a> to see it.</p>
${body}
</main>
${session?.footer ? footer(session.footer) : ""}
</body>
</html>`;
}

const footer = (f: NonNullable<Session["footer"]>) =>
  html`<footer id="versions" class="muted">postpay ${f.app} · services ${f.deployed.length ? f.deployed.join(", ") : "not deployed"}${f.deployed.length > 1 ? " (the older ones drain their orders)" : ""}</footer>`;

/** A small message page (errors, refusals). */
export const messagePage = (
  title: string,
  message: string,
  options: Omit<PageOptions, "title"> = {},
  back = "/console",
) => page({ title, ...options }, html`<h1>${title}</h1><p>${message}</p><p><a href="${back}">Back</a></p>`);
