import type { Kysely } from 'kysely';

// The trace context of the request that stored a delivery (a W3C `traceparent` carrier as JSON),
// so the attempt that processes it later, on any instance, continues the intake's trace. Null
// unless tracing is on. A nullable column without a default is a catalog change only: adding it
// rewrites no rows, however large the inbox.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('deliveries').addColumn('trace_context', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('deliveries').dropColumn('trace_context').execute();
}
