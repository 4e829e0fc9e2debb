import type { InsertDeliveries, NewDelivery } from '../db/deliveries.js';
import { GroupCommit, type GroupCommitOptions, type SubmitOptions, type WaitingLoad } from './group-commit.js';

/** Outcome of recording one delivery. */
export type RecordOutcome = 'stored' | 'duplicate';

/** Records deliveries durably, grouping concurrent ones into shared commits. */
export interface DeliveryInbox {
  /**
   * Resolves once the delivery is committed. Rejects with OverloadError when the waiting queue is
   * full or `timeoutMs` passes first, and with the database's error when the commit fails.
   */
  record(delivery: NewDelivery, options?: SubmitOptions): Promise<RecordOutcome>;
  /** Whether a delivery of `bytes` would be taken now (checked before its body is read). */
  hasRoom(bytes: number): boolean;
  /** Deliveries (and their payload bytes) waiting for a commit slot. */
  waiting(): WaitingLoad;
  /** Resolves when every submitted delivery has been committed or failed. */
  idle(): Promise<void>;
}

/** Bounds of the inbox writer: how commits are grouped, and how much may wait for one. */
export type DeliveryInboxOptions = GroupCommitOptions;

export const defaultGroupCommitOptions: DeliveryInboxOptions = {
  maxBatch: 500,
  maxBatchBytes: 8 * 1024 * 1024,
  maxInFlight: 1,
  maxWaiting: 2000,
  maxWaitingBytes: 64 * 1024 * 1024,
};

/**
 * The inbox writer. `onStored` is told once a group with new deliveries is committed, so workers in
 * this process start at once instead of waiting for the database's notification.
 */
export function createDeliveryInbox(
  insert: InsertDeliveries,
  onStored: () => void,
  options: DeliveryInboxOptions = defaultGroupCommitOptions,
): DeliveryInbox {
  const group = new GroupCommit<NewDelivery, RecordOutcome>(
    async (items) => {
      // A GUID twice in one group (GitHub retrying a slow answer) is stored once; the later
      // copies are duplicates, like any copy that arrives after the commit.
      const first = new Map<string, NewDelivery>();
      for (const item of items) if (!first.has(item.id)) first.set(item.id, item);
      const inserted = await insert([...first.values()]);
      if (inserted.size > 0) onStored();
      const claimed = new Set<string>();
      return items.map((item) => {
        if (!inserted.has(item.id) || claimed.has(item.id)) return 'duplicate';
        claimed.add(item.id);
        return 'stored';
      });
    },
    options,
    (item) => item.payload.length,
  );
  return {
    record: (delivery, submit) => group.submit(delivery, submit),
    hasRoom: (bytes) => group.hasRoom(bytes),
    waiting: () => group.waiting(),
    idle: () => group.idle(),
  };
}
