import type { CopilotSeat, SeatPlanType } from '../plan-types.js';
import { POLICY_DEFAULTS } from '../policy/policy-schema.js';

/** Known Copilot plan used to price seats whose plan is unknown and new seats. */
export type PricedPlanType = Exclude<SeatPlanType, 'unknown'>;

/** The plan most seats are on; `business` when there are none or it is a tie. */
export function predominantPlanType(seats: readonly CopilotSeat[]): PricedPlanType {
  let business = 0;
  let enterprise = 0;
  for (const seat of seats) {
    if (seat.planType === 'business') business++;
    else if (seat.planType === 'enterprise') enterprise++;
  }
  return enterprise > business ? 'enterprise' : 'business';
}

/** Prices seats: a fixed price from the policy, else the list price of each seat's plan. */
export function seatPricer(fixedPriceUsd: number | undefined, fallback: PricedPlanType): (planType: SeatPlanType) => number {
  if (fixedPriceUsd !== undefined) return () => fixedPriceUsd;
  return (planType) => POLICY_DEFAULTS.seatPriceUsd[planType === 'unknown' ? fallback : planType];
}

/** Rounds a USD amount to cents, so sums of prices compare and print cleanly. */
export function roundUsd(amount: number): number {
  return Math.round(amount * 100) / 100;
}
