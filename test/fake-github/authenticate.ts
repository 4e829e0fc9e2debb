import type { AppState } from './app-state.js';
import { badCredentials, errorResult, notFound } from './github-errors.js';
import type { SpecOperation } from './openapi-index.js';
import type { Caller, RouteResult } from './route-types.js';
import type { RequestFinding } from './validate-request.js';

// Outside /app, these are the operations GitHub answers only for the app's JWT.
const JWT_INSTALLATION_LOOKUPS = new Set(['apps/get-org-installation', 'apps/get-repo-installation', 'apps/get-user-installation']);

/**
 * Establishes the caller like GitHub: app endpoints need `bearer <JWT>` (any three-part token: the fake does not
 * verify signatures); everything else needs an unexpired installation token the fake issued, used only on its
 * installation's account (`{org}` or `{owner}`). GraphQL passes no operation.
 */
export function authenticate(
  header: string | undefined,
  operation: SpecOperation | undefined,
  params: Record<string, string>,
  app: AppState,
  now: Date,
  /** The user a user access token (OAuth web flow) belongs to, when it is one. */
  userOf?: (token: string) => string | undefined,
): { caller: Caller } | { failure: RouteResult; finding: RequestFinding } {
  const [scheme = '', credential = ''] = (header ?? '').trim().split(/\s+/, 2);
  const isJwt = credential.split('.').length === 3;
  const needsJwt =
    operation !== undefined &&
    (JWT_INSTALLATION_LOOKUPS.has(operation.operationId) ||
      ((operation.template === '/app' || operation.template.startsWith('/app/')) && operation.operationId.startsWith('apps/')));
  if (needsJwt) {
    if (scheme.toLowerCase() === 'bearer' && isJwt) return { caller: { kind: 'app' } };
    return {
      failure: errorResult(401, 'A JSON web token could not be decoded'),
      finding: { kind: 'auth', message: `${operation.operationId} needs the app's JWT as "authorization: bearer <jwt>".` },
    };
  }
  const token = ['token', 'bearer'].includes(scheme.toLowerCase()) ? app.tokens.get(credential) : undefined;
  const user = token === undefined && ['token', 'bearer'].includes(scheme.toLowerCase()) ? userOf?.(credential) : undefined;
  if (user !== undefined) {
    // The fake serves the signed-in user's own endpoints to user tokens; CEOS uses them for nothing else.
    if (operation !== undefined && (operation.template === '/user' || operation.template.startsWith('/user/'))) return { caller: { kind: 'user', login: user, token: credential } };
    return { failure: errorResult(403, 'Resource not accessible by integration'), finding: { kind: 'auth', message: `A user access token used on ${operation?.template ?? 'GraphQL'}.` } };
  }
  if (token === undefined || token.expiresAt <= now) {
    const why =
      header === undefined
        ? 'no authorization header'
        : isJwt
          ? 'an app JWT instead of an installation token'
          : 'a token the fake never issued or that has expired';
    return { failure: badCredentials(), finding: { kind: 'auth', message: `Request carries ${why}.` } };
  }
  const installation = app.installations.get(token.installationId);
  if (installation === undefined) {
    return { failure: badCredentials(), finding: { kind: 'auth', message: `Token of the uninstalled installation ${token.installationId}.` } };
  }
  const target = params.org ?? params.owner;
  if (target !== undefined && target.toLowerCase() !== installation.account.login.toLowerCase()) {
    return {
      failure: notFound(),
      finding: { kind: 'auth', message: `Installation ${installation.id} (${installation.account.login}) cannot act on ${target}.` },
    };
  }
  return { caller: { kind: 'installation', installation, token: credential } };
}
