import type { RecordedRequest } from '../test/fake-github/index.js';

/** The kinds of GitHub request a reconciliation makes, as the benchmark counts them. */
export const REQUEST_KINDS = [
  'graphql org pages',
  'graphql team follow-ups',
  'seat pages',
  'billing',
  'policy contents',
  'add seats (POST selected_users)',
  'cancel seats (DELETE selected_users)',
  'installation tokens',
  'other',
] as const;

/** One of {@link REQUEST_KINDS}. */
export type RequestKind = (typeof REQUEST_KINDS)[number];

/** What a run asked of GitHub, as the fake recorded it. */
export interface RequestSummary {
  /** Requests per kind. */
  counts: Record<RequestKind, number>;
  /** Requests that were not answered 2xx, as `METHOD path status`. */
  failures: string[];
  /** Requests of kind `other`, as `METHOD template`. */
  others: string[];
  /** Distinct `page` values among the seat list requests (equal to the seat pages when none was read twice). */
  distinctSeatPages: number;
  /** Usernames sent in seat add requests. */
  usernamesAdded: number;
  /** Usernames sent in seat cancel requests. */
  usernamesCancelled: number;
}

const BY_OPERATION: Record<string, RequestKind> = {
  'copilot/list-copilot-seats': 'seat pages',
  'copilot/get-copilot-organization-details': 'billing',
  'repos/get-content': 'policy contents',
  'copilot/add-copilot-seats-for-users': 'add seats (POST selected_users)',
  'copilot/cancel-copilot-seat-assignment-for-users': 'cancel seats (DELETE selected_users)',
  'apps/create-installation-access-token': 'installation tokens',
};

/** The kind of one recorded request. GraphQL requests are told apart by their operation name. */
export function classifyRequest(request: Pick<RecordedRequest, 'operationId' | 'body'>): RequestKind {
  if (request.operationId === 'graphql') {
    const query = (request.body as { query?: unknown } | undefined)?.query;
    const name = typeof query === 'string' ? /\bquery\s+(\w+)/.exec(query)?.[1] : undefined;
    if (name === 'ceosOrgGraph') return 'graphql org pages';
    if (name === 'ceosTeamMembers') return 'graphql team follow-ups';
    return 'other';
  }
  return (request.operationId !== undefined && BY_OPERATION[request.operationId]) || 'other';
}

function usernames(body: unknown): number {
  const names = (body as { selected_usernames?: unknown } | undefined)?.selected_usernames;
  return Array.isArray(names) ? names.length : 0;
}

/** Counts the recorded requests by kind. */
export function summarizeRequests(requests: readonly RecordedRequest[]): RequestSummary {
  const counts = Object.fromEntries(REQUEST_KINDS.map((k) => [k, 0])) as Record<RequestKind, number>;
  const failures: string[] = [];
  const others: string[] = [];
  const seatPages = new Set<string>();
  let usernamesAdded = 0;
  let usernamesCancelled = 0;
  for (const request of requests) {
    const kind = classifyRequest(request);
    counts[kind]++;
    if (request.status === undefined || request.status >= 300) failures.push(`${request.method} ${request.path} ${request.status ?? 'unanswered'}`);
    if (kind === 'other') others.push(`${request.method} ${request.template ?? request.path}`);
    if (kind === 'seat pages') seatPages.add(request.query.page ?? '1');
    if (kind === 'add seats (POST selected_users)') usernamesAdded += usernames(request.body);
    if (kind === 'cancel seats (DELETE selected_users)') usernamesCancelled += usernames(request.body);
  }
  return { counts, failures, others, distinctSeatPages: seatPages.size, usernamesAdded, usernamesCancelled };
}
