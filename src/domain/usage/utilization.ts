import { type SeatsByPlan, costOfSeats } from './seat-cost.js';

/** Seats held and how many of them are used. */
export interface Utilization {
  held: number;
  /** Held seats that are not inactive. */
  active: number;
  /** Held seats idle for more than the inactivity threshold. */
  inactive: number;
  /** active ÷ held, to 4 decimals; null when no seat is held. */
  ratio: number | null;
  /** The ratio as a whole percentage, rounded; null when no seat is held. */
  percent: number | null;
}

/** Utilization of `held` seats of which `inactive` are inactive: active ÷ held. */
export function utilization(held: number, inactive: number): Utilization {
  const active = held - inactive;
  const ratio = held === 0 ? null : Math.round((active / held) * 10_000) / 10_000;
  return { held, active, inactive, ratio, percent: held === 0 ? null : Math.round((active / held) * 100) };
}

/** A team's seats: those held by members of the team or of its child teams (DECISIONS 1), by plan. */
export interface TeamSeats {
  slug: string;
  /** Seats held by members, by plan. */
  heldByPlan: SeatsByPlan;
  /** Of those, the inactive ones, by plan. */
  inactiveByPlan: SeatsByPlan;
}

/** A team's utilization, cost and wasted spend. */
export interface TeamUtilization extends Utilization {
  slug: string;
  /** What the team's seats cost a month. */
  monthlyCostUsd: number;
  /** What its inactive seats cost a month. */
  wastedUsd: number;
}

const sum = (counts: SeatsByPlan) => Object.values(counts).reduce((a, b) => a + b, 0);

/**
 * Teams by utilization, lowest first (where seats are wasted), then more seats first, then slug;
 * teams holding no seat are left out. Prices as `costOfSeats`, unknown plans priced by `priceBasis`
 * (the organization's plan mix).
 */
export function rankTeams(teams: readonly TeamSeats[], fixedPriceUsd: number | null | undefined, priceBasis: SeatsByPlan): TeamUtilization[] {
  return teams
    .map((t) => ({
      slug: t.slug,
      ...utilization(sum(t.heldByPlan), sum(t.inactiveByPlan)),
      monthlyCostUsd: costOfSeats(t.heldByPlan, fixedPriceUsd, priceBasis).monthlyUsd,
      wastedUsd: costOfSeats(t.inactiveByPlan, fixedPriceUsd, priceBasis).monthlyUsd,
    }))
    .filter((t) => t.held > 0)
    .sort((a, b) => (a.ratio ?? 0) - (b.ratio ?? 0) || b.held - a.held || (a.slug.toLowerCase() < b.slug.toLowerCase() ? -1 : 1));
}
