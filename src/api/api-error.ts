/** An error the API answers as `{"error":{"code","message"}}` with its status. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    /** Facts a client can act on, sent beside code and message (e.g. a policy's errors with their lines). */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** 404 for an organization: the same answer whether it does not exist or the key may not see it. */
export function orgNotFound(org: string): ApiError {
  return new ApiError(404, 'not_found', `No organization ${org} is governed by CEOS.`);
}

/** 404 for an item of some kind. */
export function notFound(what: string): ApiError {
  return new ApiError(404, 'not_found', `No ${what}.`);
}
