/**
 * A delivery that can never succeed, however often it is retried: its payload lacks what a
 * handler needs. The delivery worker dead-letters it on the attempt that throws it, with this
 * message as its last error, instead of retrying it to the end of its attempts.
 */
export class PermanentDeliveryError extends Error {
  override readonly name = 'PermanentDeliveryError';
}

/**
 * Whether an attempt's error is permanent. Probot's `receive` wraps what handlers throw in an
 * AggregateError (one error per failing handler): it is permanent only when every handler's
 * error is, since a handler that failed for a passing reason deserves its retries.
 */
export function isPermanentDeliveryError(error: unknown): boolean {
  if (error instanceof PermanentDeliveryError) return true;
  if (error instanceof AggregateError) return error.errors.length > 0 && error.errors.every(isPermanentDeliveryError);
  return false;
}
