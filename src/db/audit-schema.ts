import type { ColumnType, Generated } from 'kysely';
import type { AuditActorType } from '../domain/audit/audit-entry.js';

/** A column written once and never updated (the table is append-only). */
type Immutable<S, I = S> = ColumnType<S, I, never>;

/** One entry of the append-only, hash-chained audit log. */
export interface AuditLogTable {
  /** Global order across organizations. */
  id: ColumnType<string, never, never>;
  org: Immutable<string>;
  /** 1-based position in the organization's chain (a bigint, as text). */
  seq: Immutable<string, number>;
  /** A login, `api-key:<id>`, `schedule`, or `ceos`. */
  actor: Immutable<string>;
  actor_type: Immutable<AuditActorType>;
  action: Immutable<string>;
  target: Immutable<string | null>;
  reason: Immutable<string>;
  /** JSON, inserted as its canonical text. */
  details: Immutable<Record<string, unknown>, string>;
  /** Set by the app (not the database) because it is part of the hash. */
  created_at: Immutable<Date, string>;
  prev_hash: Immutable<string>;
  hash: Immutable<string>;
  /** What makes a retried write recognisable (a delivery GUID, or a job and its change); not hashed. */
  idempotency_key: ColumnType<string | null, string | null | undefined, never>;
}

/** The end of each organization's chain; its row lock serializes appends. */
export interface AuditHeadsTable {
  org: string;
  seq: ColumnType<string, number, number>;
  hash: string;
}

/** A domain event waiting in (or dispatched from) the outbox. */
export interface DomainEventsTable {
  id: Generated<string>;
  org: string | null;
  type: string;
  payload: ColumnType<unknown, string, never>;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  dispatched_at: ColumnType<Date | null, never, Date | string | null>;
  /** Failed dispatch attempts. */
  attempts: ColumnType<number, never, number>;
  last_error: ColumnType<string | null, never, string | null>;
}

/** Tables of the tamper-evident audit log and the domain-event outbox. */
export interface AuditTables {
  audit_log: AuditLogTable;
  audit_heads: AuditHeadsTable;
  domain_events: DomainEventsTable;
}
