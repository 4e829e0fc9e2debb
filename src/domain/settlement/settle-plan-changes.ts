import type { CopilotSeat } from '../plan-types.js';

/** A seat change of a plan that was sent (or about to be) when its process stopped. */
export interface UnsettledChange {
  login: string;
  op: 'add' | 'cancel';
  /** GitHub user id, when the plan knew it: matched before the login. */
  userId: number | null;
}

/** What GitHub's seat list says became of an unsettled change. */
export interface SettledChange extends UnsettledChange {
  /** Whether the change holds on GitHub. */
  applied: boolean;
  /** What the seat list showed, in words for the audit log. */
  observed: string;
}

/**
 * Settles changes from a complete, fresh seat list: an add holds when GitHub lists the seat and
 * it is not pending cancellation; a cancel holds when the seat is pending cancellation or no
 * longer listed (the person then holds no seat, which is what the cancel was for). Anything else
 * did not happen. Only a complete seat list may be passed: a missing seat means "no seat" here.
 */
export function settlePlanChanges(changes: readonly UnsettledChange[], seats: readonly CopilotSeat[]): SettledChange[] {
  const byId = new Map(seats.map((s) => [s.assigneeId, s]));
  const byLogin = new Map(seats.map((s) => [s.assigneeLogin.toLowerCase(), s]));
  return changes.map((change) => {
    const seat = (change.userId !== null ? byId.get(change.userId) : undefined) ?? byLogin.get(change.login.toLowerCase());
    if (change.op === 'add') {
      if (seat === undefined) return { ...change, applied: false, observed: 'GitHub lists no seat for them' };
      if (seat.pendingCancellationDate !== null) {
        return { ...change, applied: false, observed: `their seat is still pending cancellation on ${seat.pendingCancellationDate}` };
      }
      return { ...change, applied: true, observed: 'GitHub lists their seat' };
    }
    if (seat === undefined) return { ...change, applied: true, observed: 'GitHub no longer lists a seat for them' };
    if (seat.pendingCancellationDate !== null) {
      return { ...change, applied: true, observed: `their seat is pending cancellation on ${seat.pendingCancellationDate}` };
    }
    return { ...change, applied: false, observed: 'their seat is still active' };
  });
}
