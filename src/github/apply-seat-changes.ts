import type { Logger } from 'pino';
import type { GitHubOctokit } from './github-octokit.js';

/** What to do with one person's seat. */
export type SeatOp = 'add' | 'cancel';

/** One seat change to send to GitHub. */
export interface SeatChange {
  /** Login of the seat holder (to be). */
  login: string;
  /** `add` assigns a seat; `cancel` sets it to pending cancellation. */
  op: SeatOp;
}

/** The outcome of one seat change. */
export interface SeatChangeResult {
  /** Login, as given in the change. */
  login: string;
  /** The change's operation. */
  op: SeatOp;
  /** Whether GitHub accepted the change. */
  ok: boolean;
  /** Why not, when `ok` is false; starts with `not sent:` when the change was never sent. */
  error?: string;
}

/** Input of {@link applySeatChanges}. */
export interface ApplySeatChangesInput {
  /** Probot's Octokit, with its throttling and retry plugins. */
  octokit: GitHubOctokit;
  /** Organization login. */
  org: string;
  /** Changes not yet done; a change listed twice is sent once. */
  changes: readonly SeatChange[];
  /** Logins per request; 100 unless told. */
  batchSize?: number;
  /** Called after every request with the outcomes it settled, so they can be stored before the next is sent. */
  onResults: (results: SeatChangeResult[]) => Promise<void>;
  /** Where refusals and failures are logged. */
  log: Pick<Logger, 'warn'>;
}

/** What {@link applySeatChanges} did. */
export interface ApplySeatChangesOutcome {
  /** Changes GitHub accepted. */
  done: SeatChangeResult[];
  /** Changes refused or not sent; retrying them later is safe. */
  failed: SeatChangeResult[];
  /** REST requests made (retries by Octokit's plugins not counted). */
  requests: number;
}

const ROUTES = {
  add: 'POST /orgs/{org}/copilot/billing/selected_users',
  cancel: 'DELETE /orgs/{org}/copilot/billing/selected_users',
} as const;

// GitHub's documented reasons for refusing these endpoints with 422 for the whole organization
// (Copilot not enabled, no billing or payment method, no suggestion-matching policy, seats not
// managed per user). Bisecting such a refusal would send every user alone to no avail.
const ORG_WIDE_REFUSAL =
  /not enabled|billing has not been set up|payment method|public code suggestions|seat management setting|access setting|enable copilot for all users|unconfigured/i;

/** How a failed request is handled. */
type FailureKind =
  /** Refused because of some of its users: split it to find them. */
  | 'per-user'
  /** Refused whatever users it names (permissions, organization, Copilot settings): stop sending. */
  | 'refused'
  /** Still failing after Octokit's retries (5xx, rate limits, network): stop sending, retry later. */
  | 'transient';

interface Failure {
  kind: FailureKind;
  status: number;
  message: string;
}

/**
 * Adds and cancels Copilot seats per user, in batches of `batchSize` logins
 * (`POST` / `DELETE /orgs/{org}/copilot/billing/selected_users` with `selected_usernames`).
 *
 * Cancellations go first, so an interrupted run never holds more seats than the plan allows. A batch
 * refused for some of its users (422) is split in halves until the users at fault are isolated: the
 * others still get their change, for about 2·k·log2(batchSize) extra requests with k users at fault.
 * Rate limits and server errors are retried by Octokit's throttling and retry plugins; when a request
 * still fails, or is refused for the whole organization, nothing more is sent and the remaining
 * changes are reported failed ("not sent"), for the caller to retry later. Every outcome is passed to
 * `onResults` right after the request that settled it.
 */
export async function applySeatChanges(input: ApplySeatChangesInput): Promise<ApplySeatChangesOutcome> {
  const { octokit, org, onResults, log } = input;
  const batchSize = input.batchSize ?? 100;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100) {
    throw new Error(`applySeatChanges() batchSize must be an integer from 1 to 100, not ${batchSize}.`);
  }
  const done: SeatChangeResult[] = [];
  const failed: SeatChangeResult[] = [];
  let requests = 0;
  let stopped: Failure | null = null;

  const record = async (results: SeatChangeResult[]): Promise<void> => {
    for (const result of results) (result.ok ? done : failed).push(result);
    await onResults(results);
  };

  const send = async (op: SeatOp, logins: string[]): Promise<Failure | null> => {
    requests++;
    try {
      await octokit.request(ROUTES[op], { org, selected_usernames: logins });
      return null;
    } catch (error) {
      const failure = describeFailure(error);
      if (failure === null) throw error;
      return failure;
    }
  };

  const settle = async (op: SeatOp, logins: string[]): Promise<void> => {
    if (stopped !== null) {
      const error = `not sent: an earlier request failed (${stopped.status} ${stopped.message})`;
      await record(logins.map((login) => ({ login, op, ok: false, error })));
      return;
    }
    const failure = await send(op, logins);
    if (failure === null) {
      await record(logins.map((login) => ({ login, op, ok: true })));
      return;
    }
    if (failure.kind === 'per-user' && logins.length > 1) {
      const half = Math.ceil(logins.length / 2);
      await settle(op, logins.slice(0, half));
      await settle(op, logins.slice(half));
      return;
    }
    log.warn(
      { org, op, logins: logins.length === 1 ? logins : undefined, count: logins.length, status: failure.status, kind: failure.kind, error: failure.message },
      'Copilot seat change failed',
    );
    if (failure.kind !== 'per-user') stopped = failure;
    const error = `${failure.status} ${failure.message}`;
    await record(logins.map((login) => ({ login, op, ok: false, error })));
  };

  for (const op of ['cancel', 'add'] as const) {
    const logins = uniqueLogins(input.changes, op);
    for (let start = 0; start < logins.length; start += batchSize) {
      await settle(op, logins.slice(start, start + batchSize));
    }
  }
  return { done, failed, requests };
}

function uniqueLogins(changes: readonly SeatChange[], op: SeatOp): string[] {
  const seen = new Set<string>();
  const logins: string[] = [];
  for (const change of changes) {
    const key = change.login.toLowerCase();
    if (change.op !== op || seen.has(key)) continue;
    seen.add(key);
    logins.push(change.login);
  }
  return logins;
}

/** Classifies an Octokit request error; null for anything that is not an HTTP failure. */
function describeFailure(error: unknown): Failure | null {
  if (typeof error !== 'object' || error === null) return null;
  const { status, response, message } = error as {
    status?: unknown;
    message?: unknown;
    response?: { data?: unknown; headers?: Record<string, string | number | undefined> };
  };
  if (typeof status !== 'number') return null;
  const data = response?.data;
  const bodyMessage =
    typeof data === 'object' && data !== null && typeof (data as { message?: unknown }).message === 'string'
      ? (data as { message: string }).message
      : typeof message === 'string'
        ? message
        : 'request failed';
  return { kind: failureKind(status, bodyMessage, response?.headers ?? {}), status, message: bodyMessage };
}

function failureKind(status: number, message: string, headers: Record<string, string | number | undefined>): FailureKind {
  if (status === 422) return ORG_WIDE_REFUSAL.test(message) ? 'refused' : 'per-user';
  if (status === 429 || status >= 500) return 'transient';
  if (status === 403 && (String(headers['x-ratelimit-remaining']) === '0' || /rate limit/i.test(message))) return 'transient';
  return 'refused';
}
