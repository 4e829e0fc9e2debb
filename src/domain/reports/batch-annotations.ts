/** The most annotations the Checks API takes in one create or update request. */
export const MAX_ANNOTATIONS_PER_REQUEST = 50;

/**
 * Splits annotations into request-sized chunks: the first goes with the create request,
 * each further one with an update request (GitHub appends them).
 */
export function batchAnnotations<T>(annotations: readonly T[], size: number = MAX_ANNOTATIONS_PER_REQUEST): T[][] {
  if (!Number.isInteger(size) || size < 1 || size > MAX_ANNOTATIONS_PER_REQUEST) {
    throw new RangeError(
      `batchAnnotations() got a batch size of ${size}: it must be a whole number from 1 to ${MAX_ANNOTATIONS_PER_REQUEST}, the Checks API's limit per request.`,
    );
  }
  const batches: T[][] = [];
  for (let start = 0; start < annotations.length; start += size) {
    batches.push(annotations.slice(start, start + size));
  }
  return batches;
}
