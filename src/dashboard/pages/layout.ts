import type { ApiPrincipal } from '../../api/authenticate.js';
import { SIGN_OUT_PATH } from '../../api/routes/session-routes.js';
import { CSRF_FIELD } from '../../api/session-csrf.js';
import { type SafeHtml, html } from '../html.js';
import type { AssetUrls } from '../static-assets.js';

/** Who is signed in, for the header and the forms. */
export interface PageSession {
  principal: ApiPrincipal;
  csrfToken: string;
  kind: 'api_key' | 'github';
}

/** What every page is rendered with. */
export interface PageContext {
  assets: AssetUrls;
  session: PageSession | null;
}

/** The page shell: a skip link, the header with the session and its sign-out form, and the content. */
export function layout(ctx: PageContext, title: string, body: SafeHtml, options: { charts?: boolean } = {}): string {
  const { session, assets } = ctx;
  const who = session
    ? html`<div class="who">
        <span>Signed in as <strong>${session.principal.name}</strong> (${session.principal.role}${session.kind === 'github' ? ', with GitHub' : ', with an API key'})</span>
        <form method="post" action="${SIGN_OUT_PATH}">
          <input type="hidden" name="${CSRF_FIELD}" value="${session.csrfToken}">
          <button type="submit" class="secondary">Sign out</button>
        </form>
      </div>`
    : '';
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${title} · CEOS</title>
${session ? html`<meta name="csrf-token" content="${session.csrfToken}">` : ''}
<link rel="stylesheet" href="${assets.style}">
${options.charts ? html`<link rel="stylesheet" href="${assets.uplotStyle}">` : ''}
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top"><a href="/">CEOS · Copilot seats</a>${who}</header>
<main id="main" tabindex="-1">
${body}
</main>
${options.charts ? html`<script src="${assets.uplotScript}" defer></script>` : ''}
<script src="${assets.script}" defer></script>
</body>
</html>
`.value;
}
