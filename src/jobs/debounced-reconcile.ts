import { type Transaction, sql } from 'kysely';
import { type PgBoss, fromKysely } from 'pg-boss';
import type { Database } from '../db/schema.js';
import { DEBOUNCE_SECONDS, RECONCILE_QUEUE, type ReconcileJob, type ReconcileJobData, reconcileJobSchema } from './reconcile-queue.js';

/**
 * What a run folded from several requests does: it applies when any of them asked to apply, and
 * syncs members and teams when any asked. It is attributed to the request that first made it
 * apply (a `/copilot plan` never takes the credit for seats a later `apply` changed), and keeps
 * the report target of the request that created it: the replies to folded commands come from
 * the commands waiting for the run, not from its report target.
 */
export function foldReconcileJobs(waiting: ReconcileJob, incoming: ReconcileJob): ReconcileJob {
  const takesOver = !waiting.apply && incoming.apply;
  return {
    ...waiting,
    trigger: takesOver ? incoming.trigger : waiting.trigger,
    actor: takesOver ? incoming.actor : waiting.actor,
    apply: waiting.apply || incoming.apply,
    refreshGraph: waiting.refreshGraph || incoming.refreshGraph,
  };
}

/**
 * Queues a debounced reconciliation of an organization in the caller's transaction, folding the
 * request into the run already waiting, if any: one run per burst (membership webhooks, slash
 * commands), no later than DEBOUNCE_SECONDS after its first request. Requests for one
 * organization take a transaction-scoped lock, so two folding at once cannot lose each other's
 * `apply`; a waiting run it edits stays locked until the caller commits, so no worker can start
 * it before what the caller recorded with it (a command waiting for its answer) is visible.
 * Returns the id of the job that will run.
 */
export async function foldIntoDebouncedReconcile(boss: PgBoss, trx: Transaction<Database>, data: ReconcileJobData): Promise<string> {
  const job = reconcileJobSchema.parse(data);
  const db = fromKysely(trx);
  const key = `debounce:${job.org}`;
  await sql`select pg_advisory_xact_lock(hashtext(${key}))`.execute(trx);
  const [waiting] = await boss.findJobs<unknown>(RECONCILE_QUEUE, { key, queued: true, limit: 1, db });
  if (waiting) {
    const current = reconcileJobSchema.safeParse(waiting.data);
    const folded = current.success ? foldReconcileJobs(current.data, job) : job;
    // Only the data changes: the run keeps its start time. A run a worker took meanwhile is not
    // edited (nothing is updated), and a new one waits instead.
    const updated = await boss.update(RECONCILE_QUEUE, folded, { id: waiting.id, db });
    if (updated.updated === 1) return waiting.id;
  }
  const result = await boss.upsert(RECONCILE_QUEUE, job, { singletonKey: key, startAfter: DEBOUNCE_SECONDS, group: { id: job.org }, db });
  const id = result.jobs[0];
  if (id === undefined) throw new Error(`could not queue the debounced reconciliation of ${job.org}`);
  return id;
}
