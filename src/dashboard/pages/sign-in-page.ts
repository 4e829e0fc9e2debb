import { SESSION_PATH } from '../../api/routes/session-routes.js';
import { html } from '../html.js';
import { type PageContext, layout } from './layout.js';

/** Where "Sign in with GitHub" starts. */
export const GITHUB_SIGN_IN_PATH = '/auth/github';

/** The sign-in page: the key form and, when configured, "Sign in with GitHub"; `message` says why the last attempt failed. */
export function signInPage(ctx: PageContext, options: { github: boolean; message?: string }): string {
  const body = html`<h1>Sign in to CEOS</h1>
<section class="card">
${options.message ? html`<p class="alert" role="alert" id="sign-in-error">${options.message}</p>` : ''}
<form class="sign-in" method="post" action="${SESSION_PATH}">
  <label for="key">API key</label>
  <input id="key" name="key" type="password" required autocomplete="off" spellcheck="false" autocapitalize="off"
    aria-describedby="key-help${options.message ? ' sign-in-error' : ''}"${options.message ? html` aria-invalid="true"` : ''}>
  <p id="key-help" class="muted">A key starting with <code>ceos_</code>, made with <code>ceos keys create</code> or the API. It is checked once; the browser keeps only a session cookie.</p>
  <div><button type="submit">Sign in</button></div>
</form>
${options.github ? html`<p class="or">Or, as an organization owner or a member of a team the policy lets run commands:</p><p><a class="button" href="${GITHUB_SIGN_IN_PATH}">Sign in with GitHub</a></p>` : ''}
</section>`;
  return layout(ctx, 'Sign in', body);
}

/** The page a GitHub user who may not use the dashboard sees, saying why. */
export function refusedPage(ctx: PageContext, title: string, message: string): string {
  return layout(ctx, title, html`<h1>${title}</h1><section class="card"><p role="alert">${message}</p><p><a href="/">Back to sign-in</a></p></section>`);
}
