/** Who an audit entry is attributed to. */
export type AuditActorType = 'user' | 'api_key' | 'schedule' | 'app';

/** Every actor type, in the order they are documented. */
export const AUDIT_ACTOR_TYPES: readonly AuditActorType[] = ['user', 'api_key', 'schedule', 'app'];

/**
 * What happened. The known actions are listed for completion and documentation; any other
 * dotted name is accepted so a new area can record its own without a migration.
 */
export type AuditAction =
  | 'seat.added'
  | 'seat.cancelled'
  | 'seat.change_failed'
  | 'override.created'
  | 'override.lifted'
  | 'reconciliation.applied'
  | 'policy.loaded'
  | 'installation.created'
  | 'installation.deleted'
  | 'api_key.created'
  | 'api_key.revoked'
  | (string & {});

/** An audit entry as the caller describes it; the log adds org order, time and hashes. */
export interface AuditEntryInput {
  /** A login, `api-key:<id>`, `schedule`, or `ceos` for the app itself. */
  actor: string;
  /** Derived from `actor` when left out (see actorTypeOf). */
  actorType?: AuditActorType;
  action: AuditAction;
  /** What the action was done to: a login, a plan id, a key id; null when nothing in particular. */
  target?: string | null;
  /** Why, in words a person reading the log understands. */
  reason: string;
  /** Anything else worth keeping, as JSON (it is hashed with the entry). */
  details?: Record<string, unknown>;
  /** When it happened; defaults to now. Kept to the millisecond. */
  at?: Date;
  /**
   * What makes a retried write recognisable, unique within the organization: a delivery GUID, or
   * a job (or plan) and the change it made. An entry whose key is already recorded is not
   * appended again. Not part of the hashed content (see docs/audit.md).
   */
  idempotencyKey?: string;
}

/** An audit entry as the caller describes it, for one organization. */
export interface NewAuditEntry extends AuditEntryInput {
  org: string;
}

/** The fields an entry's hash covers, exactly as hashed. */
export interface AuditHashFields {
  org: string;
  /** 1-based position in the organization's chain. */
  seq: number;
  actor: string;
  actor_type: AuditActorType;
  action: string;
  target: string | null;
  reason: string;
  details: Record<string, unknown>;
  /** ISO 8601 with milliseconds, UTC (Date.prototype.toISOString). */
  created_at: string;
}

/** A stored audit entry. */
export interface AuditEntry {
  /** Global order across organizations (a bigint, as text). */
  id: string;
  org: string;
  /** 1-based position in the organization's chain. */
  seq: number;
  actor: string;
  actorType: AuditActorType;
  action: string;
  target: string | null;
  reason: string;
  details: Record<string, unknown>;
  createdAt: Date;
  /** Hash of the organization's previous entry, or 64 zeros for its first. */
  prevHash: string;
  /** sha256 (hex) over prevHash, a newline, and the canonical JSON of the hashed fields. */
  hash: string;
  /** The key that makes a retried write recognisable, or null; not hashed. */
  idempotencyKey?: string | null;
}

/**
 * The actor type an actor name implies: `api-key:<id>` is an API key, `schedule` the scheduler,
 * `ceos` (or `ceos:<part>`) the app itself, anything else a GitHub login.
 */
export function actorTypeOf(actor: string): AuditActorType {
  if (actor.startsWith('api-key:')) return 'api_key';
  if (actor === 'schedule') return 'schedule';
  if (actor === 'ceos' || actor.startsWith('ceos:')) return 'app';
  return 'user';
}
