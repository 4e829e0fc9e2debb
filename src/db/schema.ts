import type { ColumnType, Generated, Selectable } from 'kysely';
import type { ApiKeysTables } from './api-keys-schema.js';
import type { AuditTables } from './audit-schema.js';
import type { CommandsTables } from './commands-schema.js';
import type { GovernanceTables } from './governance-schema.js';
import type { MirrorTables } from './mirror-schema.js';
import type { SessionsTables } from './sessions-schema.js';
import type { UsageTables } from './usage-schema.js';
import type { WarningsTables } from './warnings-schema.js';
import type { RequestsTables } from './requests-schema.js';
import type { GitHubBudgetTables } from './github-budget-schema.js';
import type { NotificationTables } from './notification-schema.js';

/** Delivery status in the inbox. */
export type DeliveryStatus = 'received' | 'processing' | 'processed' | 'failed' | 'dead';

/** A webhook delivery as stored in the inbox. */
export interface DeliveriesTable {
  /** The X-GitHub-Delivery GUID. */
  id: string;
  event: string;
  action: string | null;
  installation_id: ColumnType<string | null, number | string | null, never>;
  /** Organization (or user account) login the event belongs to. */
  org: string | null;
  /** Repository full name, for repository events. */
  repository: string | null;
  sender: string | null;
  /** The raw request body, exactly as signed. */
  payload: string;
  received_at: ColumnType<Date, Date | string | undefined, never>;
  status: Generated<DeliveryStatus>;
  attempts: Generated<number>;
  last_error: string | null;
  next_attempt_at: ColumnType<Date, Date | string | undefined, Date | string>;
  claimed_by: string | null;
  processed_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  /** Trace context (JSON carrier) of the intake request that stored it; null unless tracing is on. */
  trace_context: ColumnType<string | null, string | null | undefined, never>;
}

/** How far a scheduled scan got, by scan name. */
export interface RecoveryStateTable {
  name: string;
  checkpoint: ColumnType<Date | null, Date | string | null, Date | string | null>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

/** Tables of the webhook inbox. */
export interface InboxTables {
  deliveries: DeliveriesTable;
  recovery_state: RecoveryStateTable;
}

/** The CEOS database: each area declares its tables in its own file. */
export interface Database extends InboxTables, MirrorTables, GovernanceTables, AuditTables, CommandsTables, ApiKeysTables, UsageTables, SessionsTables, WarningsTables, RequestsTables, GitHubBudgetTables, NotificationTables {}

export type Delivery = Selectable<DeliveriesTable>;
