import type { RecordedRequest } from './request-log.js';

/** Which requests a fault or hang applies to. Every given field must match. */
export interface RequestMatcher {
  /** HTTP method, case-insensitive. */
  method?: string;
  /**
   * A path template from the REST description (`/orgs/{org}/copilot/billing/selected_users`), a concrete path
   * (`/orgs/acme/copilot/billing/seats`, `*` matching one segment), `/graphql`, or a RegExp tested on the concrete path.
   */
  pathPattern?: string | RegExp;
  /** GitHub operation id, e.g. `copilot/add-copilot-seats-for-users` (or `graphql`). */
  operationId?: string;
  /** Further condition on the request, e.g. on its body. */
  when?: (request: RecordedRequest) => boolean;
}

/** A canned failure answered instead of the real response. */
export interface FaultRule extends RequestMatcher {
  /** HTTP status to answer. */
  status: number;
  /** Extra headers, e.g. `{ 'retry-after': '1' }`. */
  headers?: Record<string, string>;
  /** JSON body; GitHub's generic message for the status when omitted. */
  body?: unknown;
  /** How many matching requests fail; 1 when omitted, `Infinity` for all. */
  times?: number;
}

/** GitHub's answer when a secondary rate limit is hit; spread into `failNext({ ...SECONDARY_RATE_LIMIT, pathPattern })`. */
export const SECONDARY_RATE_LIMIT = {
  status: 403,
  headers: { 'retry-after': '1' },
  body: {
    message:
      'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000:00000000.',
    documentation_url:
      'https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits',
  },
} as const satisfies Omit<FaultRule, 'pathPattern'>;

/** Whether a request matches. */
export function matchesRequest(matcher: RequestMatcher, request: RecordedRequest): boolean {
  if (matcher.method !== undefined && matcher.method.toUpperCase() !== request.method) return false;
  if (matcher.operationId !== undefined && matcher.operationId !== request.operationId) return false;
  if (matcher.pathPattern !== undefined && !matchesPath(matcher.pathPattern, request)) return false;
  return matcher.when === undefined || matcher.when(request);
}

/** GitHub's generic body for a failure status. */
export function defaultFaultBody(status: number): Record<string, string> {
  const messages: Record<number, string> = {
    401: 'Bad credentials',
    403: 'Forbidden',
    404: 'Not Found',
    409: 'Conflict',
    422: 'Validation Failed',
    500: 'Server Error',
    502: 'Server Error',
    503: 'Service Unavailable',
    504: 'We couldn\'t respond to your request in time. Sorry about that. Please try resubmitting your request and contact us if the problem persists.',
  };
  return { message: messages[status] ?? 'Error', documentation_url: 'https://docs.github.com/rest', status: String(status) };
}

function matchesPath(pattern: string | RegExp, request: RecordedRequest): boolean {
  if (pattern instanceof RegExp) return pattern.test(request.path);
  if (pattern === request.template || pattern === request.path) return true;
  if (!pattern.includes('*')) return false;
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^/]+');
  return new RegExp(`^${source}$`).test(request.path);
}
