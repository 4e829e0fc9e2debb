import { type Kysely, sql } from 'kysely';

// The audit log: append-only, each organization's entries chained by hash so that a changed,
// removed or inserted entry is detectable, plus the outbox of domain events.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('org', 'text', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull().check(sql`seq >= 1`))
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('actor_type', 'text', (c) =>
      c.notNull().check(sql`actor_type in ('user', 'api_key', 'schedule', 'app')`),
    )
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target', 'text')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('details', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    // No default: the app sets it, because it is hashed.
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('prev_hash', 'text', (c) => c.notNull().check(sql`prev_hash ~ '^[0-9a-f]{64}$'`))
    .addColumn('hash', 'text', (c) => c.notNull().check(sql`hash ~ '^[0-9a-f]{64}$'`))
    .addUniqueConstraint('audit_log_org_seq', ['org', 'seq'])
    .execute();
  await sql`create index audit_log_org_target on audit_log (org, target, id) where target is not null`.execute(db);

  // A statement trigger refuses even an UPDATE or DELETE that matches no row, so a mistaken
  // statement fails loudly instead of silently doing nothing this time.
  await sql`
    create function audit_log_refuse_change() returns trigger language plpgsql as $$
    begin
      raise exception 'audit_log is append-only: % is not allowed', tg_op
        using errcode = 'insufficient_privilege',
              hint = 'Audit entries are never changed or removed; record a new entry instead.';
    end
    $$`.execute(db);
  await sql`
    create trigger audit_log_append_only
      before update or delete or truncate on audit_log
      for each statement execute function audit_log_refuse_change()`.execute(db);

  await db.schema
    .createTable('audit_heads')
    .addColumn('org', 'text', (c) => c.primaryKey())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('domain_events')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('org', 'text')
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('payload', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('dispatched_at', 'timestamptz')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .execute();
  await sql`create index domain_events_pending on domain_events (id) where dispatched_at is null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('domain_events').execute();
  await db.schema.dropTable('audit_heads').execute();
  await db.schema.dropTable('audit_log').execute();
  await sql`drop function audit_log_refuse_change()`.execute(db);
}
