import type { CopilotSeat, SeatPlanType } from '../domain/plan-types.js';
import type { GitHubOctokit } from './github-octokit.js';
import { TornSyncError } from './torn-sync-error.js';

/** The organization's Copilot seats, and what the seat list held that CEOS cannot manage. */
export interface CopilotSeatList {
  /** Seats held by users, in the order GitHub listed them. */
  seats: CopilotSeat[];
  /** Seats whose assignee is missing or not a user (an organization or team); they are left out of `seats`. */
  skippedNonUserSeats: number;
  /** `total_seats`: the largest GitHub reported on any page. */
  totalSeats: number;
  /** REST requests made. */
  requests: number;
}

const PER_PAGE = 100;

/**
 * Lists every Copilot seat of an organization (`GET /orgs/{org}/copilot/billing/seats`), following
 * the `Link` header page by page. The response is an object, not an array, so each page is mapped
 * to its `seats` rather than left to paginate's list normalisation (which only knows `total_count`).
 *
 * Any page error throws. A list with fewer seats (user seats and skipped ones together) than
 * `total_seats` is torn and throws a {@link TornSyncError}: a seat missing from the list would
 * otherwise look like a seat that is not there.
 */
export async function fetchCopilotSeats(octokit: GitHubOctokit, org: string): Promise<CopilotSeatList> {
  const seats: CopilotSeat[] = [];
  let skippedNonUserSeats = 0;
  let totalSeats = 0;
  let requests = 0;
  const pages = octokit.paginate.iterator('GET /orgs/{org}/copilot/billing/seats', { org, per_page: PER_PAGE });
  for await (const page of pages) {
    requests++;
    totalSeats = Math.max(totalSeats, page.data.total_seats ?? 0);
    for (const raw of page.data.seats ?? []) {
      const seat = toCopilotSeat(raw);
      if (seat === null) skippedNonUserSeats++;
      else seats.push(seat);
    }
  }
  const listed = seats.length + skippedNonUserSeats;
  if (listed < totalSeats) throw new TornSyncError(org, 'seats', totalSeats, listed);
  return { seats, skippedNonUserSeats, totalSeats, requests };
}

/** The fields of GitHub's `copilot-seat-details` that CEOS reads. */
interface RawSeat {
  assignee?: unknown;
  assigning_team?: unknown;
  created_at: string;
  last_activity_at?: string | null;
  last_activity_editor?: string | null;
  last_authenticated_at?: string | null;
  pending_cancellation_date?: string | null;
  plan_type?: string;
}

/** Maps one seat; null when its assignee is not a user (older API versions also listed teams and organizations). */
export function toCopilotSeat(raw: RawSeat): CopilotSeat | null {
  const assignee = asRecord(raw.assignee);
  if (assignee === null) return null;
  const { login, id, type } = assignee;
  if (typeof login !== 'string' || typeof id !== 'number' || type !== 'User') return null;
  const team = asRecord(raw.assigning_team);
  return {
    assigneeLogin: login,
    assigneeId: id,
    assigningTeamSlug: team !== null && typeof team.slug === 'string' ? team.slug : null,
    createdAt: isoInstant(raw.created_at, 'created_at'),
    lastActivityAt: raw.last_activity_at == null ? null : isoInstant(raw.last_activity_at, 'last_activity_at'),
    lastActivityEditor: raw.last_activity_editor ?? null,
    lastAuthenticatedAt:
      raw.last_authenticated_at == null ? null : isoInstant(raw.last_authenticated_at, 'last_authenticated_at'),
    pendingCancellationDate: raw.pending_cancellation_date ?? null,
    planType: planType(raw.plan_type),
  };
}

function planType(value: string | undefined): SeatPlanType {
  return value === 'business' || value === 'enterprise' ? value : 'unknown';
}

// GitHub may answer with an offset ("2021-08-03T18:00:00-06:00"); plans compare and store UTC strings.
function isoInstant(value: string, field: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new Error(`GitHub returned a Copilot seat whose ${field} is not a date: ${JSON.stringify(value)}`);
  return new Date(ms).toISOString();
}

function asRecord(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
}
