import type { RouteResult } from './route-types.js';

const DOCS = 'https://docs.github.com/rest';

/** GitHub's body for an error status. */
export function errorResult(status: number, message: string, extra: Record<string, unknown> = {}): RouteResult {
  return { status, body: { message, documentation_url: DOCS, status: String(status), ...extra } };
}

/** GitHub's 404, which it also uses for things the caller may not see. */
export function notFound(): RouteResult {
  return errorResult(404, 'Not Found');
}

/** GitHub's 422 for a request that fails validation. */
export function validationFailed(message: string, errors?: unknown[]): RouteResult {
  return errorResult(422, message, errors === undefined ? {} : { errors });
}

/** GitHub's 401 for a missing or unknown token. */
export function badCredentials(): RouteResult {
  return errorResult(401, 'Bad credentials');
}
