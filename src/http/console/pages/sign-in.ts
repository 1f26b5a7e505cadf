// The sign-in page: an operator's token (or the admin token), once, for a session of SESSION_MAX_AGE_S.
import { html } from "hono/html";
import { page } from "../layout.ts";

export const signInPage = ({ next, refused = false }: { next: string; refused?: boolean }) =>
  page(
    { title: "Sign in" },
    html`<div class="signin card">
  <h1>Operator console</h1>
  ${refused ? html`<p class="notice bad" role="alert">That is not an operator's token, nor the admin token.</p>` : ""}
  <form method="post" action="/console/sign-in">
    <input type="hidden" name="next" value="${next}">
    <label for="token">Your token</label>
    <input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
    <button class="primary" type="submit">Sign in</button>
  </form>
  <p class="muted small">Your own token (<code>npm run operator -- add &lt;name&gt;</code> makes one), or <code>ADMIN_TOKEN</code> (<code>npm start</code> prints the one it generated). A session lasts 12 hours.</p>
</div>`,
  );
