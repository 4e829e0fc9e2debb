import type { RequestKind } from './reconcile-requests.js';

/** Items per page of every GitHub list CEOS reads (REST `per_page` and GraphQL `first` both cap at 100). */
export const PAGE_SIZE = 100;

/**
 * Teams whose members are followed up in one GraphQL request (aliased `team(slug:)` fields);
 * `fetchOrgGraph`'s default.
 */
export const TEAMS_PER_FOLLOW_UP = 20;

/** What GitHub holds and the plan changes, as far as the fewest requests depend on it. */
export interface MinimumInput {
  /** Organization members. */
  members: number;
  /** Teams. */
  teams: number;
  /** Direct (immediate) members of each team. */
  teamMemberCounts: readonly number[];
  /** Seats in GitHub's seat list when the run reads it (pending cancellations included). */
  seats: number;
  /** Seats the plan adds. */
  adds: number;
  /** Seats the plan cancels. */
  cancels: number;
  /** Usernames per seat add/cancel request. */
  batchSize: number;
  /** Whether the installation token is already held (a second run in the same process). */
  tokenHeld: boolean;
}

/**
 * Fewest requests that finish the teams' member lists beyond the 100 that come with each team,
 * `perRequest` teams at a time. Each team's pages follow one another (each needs the previous
 * cursor), so this is scheduling unit tasks in chains on `perRequest` machines, which the
 * longest-remaining-chain-first rule does optimally (Hu's algorithm).
 */
export function minimumFollowUpRequests(teamMemberCounts: readonly number[], perRequest: number): number {
  let remaining = teamMemberCounts.map((n) => Math.max(0, Math.ceil(n / PAGE_SIZE) - 1)).filter((n) => n > 0);
  let requests = 0;
  while (remaining.length > 0) {
    remaining.sort((a, b) => b - a);
    for (let i = 0; i < Math.min(perRequest, remaining.length); i++) remaining[i]!--;
    remaining = remaining.filter((n) => n > 0);
    requests++;
  }
  return requests;
}

/**
 * The fewest requests of each kind a reconciliation run can make:
 * - GraphQL org pages: members and teams are paged together, 100 a page, so
 *   max(ceil(members / 100), ceil(teams / 100)); each team brings its first 100 direct members.
 * - GraphQL follow-ups: the rest of the members of teams with more than 100, see
 *   {@link minimumFollowUpRequests}.
 * - Seat pages: ceil(seats / 100) (at least one request, even for no seats).
 * - Billing settings and the policy file: one each.
 * - Writes: ceil(adds / batch) POSTs and ceil(cancels / batch) DELETEs.
 * - One installation token, unless already held.
 */
export function minimumRequests(input: MinimumInput): Record<RequestKind, number> {
  return {
    'graphql org pages': Math.max(1, Math.ceil(input.members / PAGE_SIZE), Math.ceil(input.teams / PAGE_SIZE)),
    'graphql team follow-ups': minimumFollowUpRequests(input.teamMemberCounts, TEAMS_PER_FOLLOW_UP),
    'seat pages': Math.max(1, Math.ceil(input.seats / PAGE_SIZE)),
    billing: 1,
    'policy contents': 1,
    'add seats (POST selected_users)': Math.ceil(input.adds / input.batchSize),
    'cancel seats (DELETE selected_users)': Math.ceil(input.cancels / input.batchSize),
    'installation tokens': input.tokenHeld ? 0 : 1,
    other: 0,
  };
}
