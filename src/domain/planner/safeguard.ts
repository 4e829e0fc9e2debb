import type { Plan, PlanEntry, SafeguardVerdict } from '../plan-types.js';
import { POLICY_DEFAULTS } from '../policy/policy-schema.js';
import { type PlannerInput, planReconciliation } from './plan-reconciliation.js';

/** The fewest cancellations the safeguard ever allows in one plan, whatever the policy says. */
export const MIN_CANCELLATION_LIMIT = 10;

/** An owner's confirmation of a held plan, carried out by a fresh plan. */
export interface SafeguardConfirmation {
  /** The held plan that was confirmed. */
  planId: string;
  /** Login of the owner who confirmed. */
  confirmedBy: string;
  /** User ids of the cancellations that plan held: the only ones the confirmation lets through. */
  userIds: readonly number[];
}

/**
 * The effective limit of `safeguards.max_cancellations` for an organization holding `seatsHeld`
 * seats: a number of seats as written, or "N%" of the seats held rounded up; never below
 * MIN_CANCELLATION_LIMIT.
 */
export function cancellationLimit(setting: number | string, seatsHeld: number): number {
  if (typeof setting === 'number') return Math.max(MIN_CANCELLATION_LIMIT, setting);
  const percent = Number(setting.replace(/%$/, ''));
  // Rounded to a billionth first, so 10% of 30 seats is 3 and not 3.0000000000000004 → 4.
  const share = Math.ceil(Math.round(((percent * seatsHeld) / 100) * 1e9) / 1e9);
  return Math.max(MIN_CANCELLATION_LIMIT, share);
}

/** Which of a plan's cancellations the safeguard holds, and its verdict. */
export function decideSafeguard(plan: Plan, setting: number | string, confirmation: SafeguardConfirmation | null): SafeguardVerdict {
  // Seats held before the plan are those GitHub listed in the run, pending cancellations excluded.
  const seatsHeld = plan.seats.before.total - plan.seats.before.pendingCancellation;
  const limit = cancellationLimit(setting, seatsHeld);
  const cancellations = plan.toCancel.length;
  const base = { setting, seatsHeld, limit, cancellations, confirmedPlanId: null, confirmedBy: null };
  if (confirmation !== null) {
    // Only what the owner saw and confirmed goes through; anything new waits for its own confirmation.
    const confirmed = new Set(confirmation.userIds);
    const held = plan.toCancel.filter((e) => e.userId === null || !confirmed.has(e.userId));
    return { ...base, status: 'confirmed', held, confirmedPlanId: confirmation.planId, confirmedBy: confirmation.confirmedBy };
  }
  if (cancellations > limit) return { ...base, status: 'held', held: [...plan.toCancel] };
  return { ...base, status: 'within', held: [] };
}

/**
 * Plans, then applies the mass-cancellation safeguard (`safeguards.max_cancellations`) to an
 * enforce-mode plan: over the limit, every cancellation is held and the plan keeps only its
 * adds; carrying out a confirmation, only the confirmed cancellations still due go through.
 * Held seats count as held after the plan, so the cap and the budget see them. Report-mode,
 * inert and policy-less plans are returned as planned.
 */
export function planWithSafeguard(input: PlannerInput, confirmation: SafeguardConfirmation | null = null): Plan {
  const plan = planReconciliation(input);
  if (input.policy === null || plan.mode !== 'enforce' || plan.status !== 'ok') return plan;
  const setting = input.policy.safeguards?.max_cancellations ?? POLICY_DEFAULTS.maxCancellations;
  const verdict = decideSafeguard(plan, setting, confirmation);
  if (verdict.held.length === 0) return { ...plan, safeguard: verdict };
  const heldIds = verdict.held.flatMap((e: PlanEntry) => (e.userId === null ? [] : [e.userId]));
  // Planned again with the held seats kept: adds may then meet the cap, and no inactivity
  // override is recorded for a seat that stays.
  const replanned = planReconciliation({ ...input, holdCancellations: [...(input.holdCancellations ?? []), ...heldIds] });
  return { ...replanned, safeguard: verdict };
}
