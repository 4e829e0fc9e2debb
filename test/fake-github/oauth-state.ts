import { randomBytes } from 'node:crypto';

/** A code handed out by the authorize page, waiting to be exchanged once. */
interface PendingCode {
  login: string;
  clientId: string;
  redirectUri: string;
  expiresAt: Date;
}

/** A user access token the token exchange issued. */
export interface UserToken {
  login: string;
  expiresAt: Date;
}

/** Minutes a code may wait for its exchange (GitHub: 10). */
const CODE_MINUTES = 10;
/** Hours a user access token lasts (GitHub App user tokens: 8). */
const TOKEN_HOURS = 8;

/**
 * The GitHub App's OAuth web flow as GitHub runs it: `GET /login/oauth/authorize` answers the
 * person at the browser (here: whoever `signedIn` names) with a redirect carrying a one-time
 * code, and `POST /login/oauth/access_token` exchanges that code for a user access token
 * (`ghu_…`) the REST API accepts for `/user` endpoints.
 */
export class OAuthState {
  /** The app's OAuth client id and secret. */
  readonly clientId: string;
  readonly clientSecret = `fake-client-secret-${randomBytes(8).toString('hex')}`;
  /** Who is signed in to the fake's web UI and authorizes the app; null: nobody, the authorize page refuses. */
  signedIn: string | null = null;
  /** Whether that person clicks "Cancel" instead of "Authorize". */
  denies = false;
  private readonly codes = new Map<string, PendingCode>();
  readonly tokens = new Map<string, UserToken>();

  constructor(
    appId: number,
    private readonly now: () => Date,
  ) {
    this.clientId = `Iv1.${appId.toString(16).padStart(16, '0')}`;
  }

  /** `GET /login/oauth/authorize`: the redirect GitHub answers with, or a refusal. */
  authorize(query: URLSearchParams): { status: number; location?: string; message?: string } {
    const redirectUri = query.get('redirect_uri');
    if (query.get('client_id') !== this.clientId) return { status: 404, message: 'No OAuth app has this client_id.' };
    if (redirectUri === null) return { status: 400, message: 'redirect_uri is required by the fake (CEOS always sends it).' };
    if (this.signedIn === null) return { status: 401, message: 'Nobody is signed in to the fake GitHub: set fake.oauth.signedIn.' };
    const target = new URL(redirectUri);
    const state = query.get('state');
    if (this.denies) {
      target.searchParams.set('error', 'access_denied');
      target.searchParams.set('error_description', 'The user has denied your application access.');
    } else {
      const code = randomBytes(10).toString('hex');
      this.codes.set(code, { login: this.signedIn, clientId: this.clientId, redirectUri, expiresAt: new Date(this.now().getTime() + CODE_MINUTES * 60_000) });
      target.searchParams.set('code', code);
    }
    if (state !== null) target.searchParams.set('state', state);
    return { status: 302, location: target.toString() };
  }

  /**
   * `POST /login/oauth/access_token`: like GitHub, a refused exchange is still a 200 whose body
   * names the error (`incorrect_client_credentials`, `redirect_uri_mismatch`, `bad_verification_code`).
   */
  exchange(params: Record<string, unknown>): Record<string, unknown> {
    const error = (code: string, description: string) => ({ error: code, error_description: description, error_uri: 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors' });
    if (params.client_id !== this.clientId || params.client_secret !== this.clientSecret) return error('incorrect_client_credentials', 'The client_id and/or client_secret passed are incorrect.');
    const pending = typeof params.code === 'string' ? this.codes.get(params.code) : undefined;
    if (pending === undefined || pending.expiresAt <= this.now()) return error('bad_verification_code', 'The code passed is incorrect or expired.');
    if (params.redirect_uri !== undefined && params.redirect_uri !== pending.redirectUri) return error('redirect_uri_mismatch', 'The redirect_uri MUST match the registered callback URL for this application.');
    this.codes.delete(params.code as string);
    const token = `ghu_${randomBytes(18).toString('base64url')}`;
    this.tokens.set(token, { login: pending.login, expiresAt: new Date(this.now().getTime() + TOKEN_HOURS * 3_600_000) });
    return { access_token: token, expires_in: TOKEN_HOURS * 3600, refresh_token: `ghr_${randomBytes(30).toString('base64url')}`, refresh_token_expires_in: 15_897_600, token_type: 'bearer', scope: '' };
  }

  /** The user a live token belongs to. */
  userOf(token: string): string | undefined {
    const found = this.tokens.get(token);
    return found !== undefined && found.expiresAt > this.now() ? found.login : undefined;
  }
}
