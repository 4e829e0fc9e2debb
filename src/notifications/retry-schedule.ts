/**
 * Seconds before each retry of a notification: the first within a minute, then growing, about a
 * day in all (23 h 42 min before jitter). After the last, the message is dead-lettered.
 */
export const DEFAULT_RETRY_SCHEDULE_SECONDS: readonly number[] = [30, 120, 600, 1800, 3600, 7200, 14_400, 28_800, 28_800];

/**
 * The delay before the retry that follows attempt `attempt` (1-based), with ±20 % jitter so that
 * endpoints failing together do not retry together; null when no attempt is left.
 */
export function retryDelaySeconds(schedule: readonly number[], attempt: number, random: () => number = Math.random): number | null {
  const base = schedule[attempt - 1];
  if (base === undefined) return null;
  return base * (0.8 + 0.4 * random());
}
