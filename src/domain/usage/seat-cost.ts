import { roundUsd } from '../planner/seat-cost.js';
import { POLICY_DEFAULTS } from '../policy/policy-schema.js';

/** Seats counted by Copilot plan (`plan_type`), as the mirror or a seat snapshot has them: `{"business": 40, "enterprise": 2}`. */
export type SeatsByPlan = Readonly<Record<string, number>>;

/** Where a seat's price came from: the policy's `budget.seat_price_usd`, or the list price of the seat's plan. */
export type PriceSource = 'policy' | 'list_price';

/** What the seats of one plan cost a month. */
export interface PlanCost {
  /** `business`, `enterprise`, or the plan as GitHub named it. */
  plan: string;
  seats: number;
  /** Monthly price of one seat in USD. */
  priceUsd: number;
  /** seats × priceUsd, rounded to cents. */
  monthlyUsd: number;
}

/** The monthly cost of a set of seats, with its arithmetic. */
export interface SeatCost {
  seats: number;
  /** Sum of the plans' costs, rounded to cents. */
  monthlyUsd: number;
  priceSource: PriceSource;
  /** One entry per plan with seats, in plan order (business, enterprise, others by name). */
  byPlan: PlanCost[];
}

type ListedPlan = keyof typeof POLICY_DEFAULTS.seatPriceUsd;

function isListed(plan: string): plan is ListedPlan {
  return plan === 'business' || plan === 'enterprise';
}

/**
 * The plan a seat of unknown plan is priced at: the one most of the known seats are on, Business
 * on a tie or when there are none (as the planner does).
 */
export function fallbackPlan(byPlan: SeatsByPlan): ListedPlan {
  return (byPlan.enterprise ?? 0) > (byPlan.business ?? 0) ? 'enterprise' : 'business';
}

/** Monthly price of one seat: the policy's price when set, else 19 USD (Business) or 39 USD (Enterprise) by its plan. */
export function seatPriceUsd(plan: string, fixedPriceUsd: number | null | undefined, fallback: ListedPlan = 'business'): number {
  if (fixedPriceUsd !== null && fixedPriceUsd !== undefined) return fixedPriceUsd;
  return POLICY_DEFAULTS.seatPriceUsd[isListed(plan) ? plan : fallback];
}

function planOrder(a: string, b: string): number {
  const rank = (p: string) => (p === 'business' ? 0 : p === 'enterprise' ? 1 : 2);
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

/**
 * What seats cost a month: seats × price for each plan. `priceBasis` names the seats whose plan
 * mix prices seats of unknown plan (the organization's, when pricing a part of it such as its
 * inactive seats); it defaults to the seats themselves.
 */
export function costOfSeats(byPlan: SeatsByPlan, fixedPriceUsd: number | null | undefined, priceBasis: SeatsByPlan = byPlan): SeatCost {
  const fallback = fallbackPlan(priceBasis);
  const plans = Object.entries(byPlan)
    .filter(([, seats]) => seats > 0)
    .sort(([a], [b]) => planOrder(a, b))
    .map(([plan, seats]): PlanCost => {
      const priceUsd = seatPriceUsd(plan, fixedPriceUsd, fallback);
      return { plan, seats, priceUsd, monthlyUsd: roundUsd(seats * priceUsd) };
    });
  return {
    seats: plans.reduce((sum, p) => sum + p.seats, 0),
    // Summed in cents so that 0.1 + 0.2 stays 0.3.
    monthlyUsd: plans.reduce((cents, p) => cents + Math.round(p.monthlyUsd * 100), 0) / 100,
    priceSource: fixedPriceUsd !== null && fixedPriceUsd !== undefined ? 'policy' : 'list_price',
    byPlan: plans,
  };
}

/** Adds seat counts plan by plan. */
export function addSeatsByPlan(...counts: SeatsByPlan[]): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const c of counts) for (const [plan, n] of Object.entries(c)) sum[plan] = (sum[plan] ?? 0) + n;
  return sum;
}

/** A USD amount as the reports write it: `798 USD`, `12.5 USD`. */
export function usdText(amount: number): string {
  return `${Number.isInteger(amount) ? amount.toLocaleString('en-US') : amount.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} USD`;
}

/** The arithmetic of a cost, e.g. `40 × 19 USD + 2 × 39 USD = 838 USD`; `0 USD` for no seats. */
export function costArithmetic(cost: SeatCost): string {
  if (cost.byPlan.length === 0) return '0 USD';
  const terms = cost.byPlan.map((p) => `${p.seats.toLocaleString('en-US')} × ${usdText(p.priceUsd)}`).join(' + ');
  return `${terms} = ${usdText(cost.monthlyUsd)}`;
}
