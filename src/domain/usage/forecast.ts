import { roundUsd } from '../planner/seat-cost.js';
import { addDays, daysBetween } from './usage-days.js';

/** Fewest days of seat history a forecast is made from. */
export const MIN_FORECAST_DAYS = 14;
/** How far ahead seats and cost are forecast, in days after the last snapshot. */
export const FORECAST_HORIZONS = [30, 90] as const;
/** Holt's smoothing of the level and of the trend: fixed, so the numbers can be checked by hand. */
export const HOLT_ALPHA = 0.5;
export const HOLT_BETA = 0.3;
/** The backtest holds out the last quarter of the history, at most this many days. */
export const MAX_HOLDOUT_DAYS = 30;

/** A forecasting method. */
export type ForecastMethod = 'least_squares' | 'holt';

/** A value observed on a day. */
export interface DayValue {
  day: string;
  value: number;
}

/** A straight line y = intercept + slope × x. */
export interface Line {
  intercept: number;
  slope: number;
}

/** Ordinary least squares of y on x; a flat line through the mean when every x is the same. */
export function leastSquares(xs: readonly number[], ys: readonly number[]): Line {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  const slope = sxx === 0 ? 0 : sxy / sxx;
  return { intercept: my - slope * mx, slope };
}

/** Holt's level and trend after the last observation. */
export interface HoltState {
  level: number;
  trend: number;
}

/**
 * Holt's linear method on equally spaced values: starts from level y₀ and trend y₁ − y₀, then
 * level ← α·y + (1 − α)(level + trend), trend ← β(level − previous level) + (1 − β)·trend.
 */
export function holtLinear(ys: readonly number[], alpha = HOLT_ALPHA, beta = HOLT_BETA): HoltState {
  if (ys.length === 0) return { level: 0, trend: 0 };
  let level = ys[0]!;
  let trend = ys.length > 1 ? ys[1]! - ys[0]! : 0;
  for (let i = 1; i < ys.length; i++) {
    const previous = level;
    level = alpha * ys[i]! + (1 - alpha) * (level + trend);
    trend = beta * (level - previous) + (1 - beta) * trend;
  }
  return { level, trend };
}

/** Predictions 1…h days after the last of `ys` (daily values), by a method. */
export function predict(method: ForecastMethod, ys: readonly number[], horizons: readonly number[]): number[] {
  if (method === 'least_squares') {
    const line = leastSquares(
      ys.map((_, i) => i),
      ys,
    );
    return horizons.map((h) => line.intercept + line.slope * (ys.length - 1 + h));
  }
  const { level, trend } = holtLinear(ys);
  return horizons.map((h) => level + h * trend);
}

/** Daily values from `first` to `last`, a missing day filled on the straight line between its neighbours. */
export function fillDays(points: readonly DayValue[]): number[] {
  const sorted = [...points].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
  const values: number[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const p = sorted[i]!;
    const next = sorted[i + 1];
    values.push(p.value);
    if (next === undefined) break;
    const gap = daysBetween(p.day, next.day);
    for (let k = 1; k < gap; k++) values.push(p.value + ((next.value - p.value) * k) / gap);
  }
  return values;
}

/** How a method did on the held-out tail of the history. */
export interface BacktestError {
  method: ForecastMethod;
  /** Mean absolute error, in seats. */
  mae: number;
  /** Mean absolute percentage error, over held-out days with seats; null when they all had none. */
  mape: number | null;
}

/**
 * Fits on all but the last `holdout` days, predicts them, and compares: mean absolute error
 * and mean absolute percentage error, each to 2 decimals.
 */
export function backtest(method: ForecastMethod, ys: readonly number[], holdout: number): BacktestError {
  const train = ys.slice(0, ys.length - holdout);
  const actual = ys.slice(ys.length - holdout);
  const predicted = predict(
    method,
    train,
    actual.map((_, i) => i + 1),
  );
  const errors = actual.map((a, i) => Math.abs(predicted[i]! - a));
  const relative = actual.flatMap((a, i) => (a === 0 ? [] : [errors[i]! / Math.abs(a)]));
  const round2 = (v: number) => Math.round(v * 100) / 100;
  return {
    method,
    mae: round2(errors.reduce((x, y) => x + y, 0) / errors.length),
    mape: relative.length === 0 ? null : round2((relative.reduce((x, y) => x + y, 0) / relative.length) * 100),
  };
}

/** Days held out by the backtest of a history of `n` days: a quarter, at least 1, at most 30. */
export function holdoutDays(n: number): number {
  return Math.max(1, Math.min(MAX_HOLDOUT_DAYS, Math.floor(n / 4)));
}

/** Seats and cost forecast for one horizon. */
export interface ForecastPoint {
  /** Days after the last snapshot. */
  days: number;
  day: string;
  /** Seats forecast, to 1 decimal, never below 0. */
  seats: number;
  /** seats × the price per seat, rounded to cents. */
  monthlyCostUsd: number;
}

/** A forecast of seats and cost, or why there is none. */
export type SeatForecast =
  | {
      status: 'ok';
      /** The method used: the one with the lower backtest MAE (least squares on a tie). */
      method: ForecastMethod;
      /** Days of seat snapshots the forecast is made from. */
      historyDays: number;
      /** First and last day of that history. */
      from: string;
      to: string;
      /** Days held out by the backtest. */
      holdoutDays: number;
      /** The chosen method's backtest error. */
      backtest: BacktestError;
      /** Both methods' backtest errors, for comparison. */
      backtests: BacktestError[];
      /** The average monthly price of a seat the cost is forecast at. */
      pricePerSeatUsd: number;
      points: ForecastPoint[];
    }
  | {
      status: 'insufficient_history';
      historyDays: number;
      neededDays: number;
      /** Says so in a sentence. */
      message: string;
    };

/**
 * Forecasts seats held `horizons` days after the last snapshot, and their monthly cost at
 * `pricePerSeatUsd`. Needs snapshots on at least 14 days; missing days in between are filled
 * on a straight line. Both methods are backtested on the held-out tail and the better one is used.
 */
export function forecastSeats(history: readonly DayValue[], pricePerSeatUsd: number, horizons: readonly number[] = FORECAST_HORIZONS): SeatForecast {
  if (history.length < MIN_FORECAST_DAYS) {
    return {
      status: 'insufficient_history',
      historyDays: history.length,
      neededDays: MIN_FORECAST_DAYS,
      message: `cannot forecast yet: ${history.length} ${history.length === 1 ? 'day' : 'days'} of seat history, ${MIN_FORECAST_DAYS} needed`,
    };
  }
  const days = history.map((h) => h.day).sort();
  const ys = fillDays(history);
  const holdout = holdoutDays(ys.length);
  const backtests = (['least_squares', 'holt'] as const).map((m) => backtest(m, ys, holdout));
  const best = backtests[1]!.mae < backtests[0]!.mae ? backtests[1]! : backtests[0]!;
  const to = days[days.length - 1]!;
  const predicted = predict(best.method, ys, horizons);
  return {
    status: 'ok',
    method: best.method,
    historyDays: history.length,
    from: days[0]!,
    to,
    holdoutDays: holdout,
    backtest: best,
    backtests,
    pricePerSeatUsd,
    points: horizons.map((h, i) => {
      const seats = Math.max(0, Math.round(predicted[i]! * 10) / 10);
      return { days: h, day: addDays(to, h), seats, monthlyCostUsd: roundUsd(seats * pricePerSeatUsd) };
    }),
  };
}
