import type { Migration } from 'kysely/migration';
import * as deliveries from './2026-11-29T1000-deliveries.js';
import * as governance from './2026-11-29T1100-governance.js';
import * as audit from './2026-11-29T1200-audit.js';
import * as commands from './2026-11-29T1300-commands.js';
import * as commandLimits from './2026-12-01T1300-command-limits.js';
import * as retention from './2026-12-01T2100-retention.js';
import * as identity from './2026-12-01T1000-identity.js';
import * as auditIdempotency from './2026-12-01T1100-audit-idempotency.js';
import * as reportRuns from './2026-12-01T1110-report-runs.js';
import * as planHolds from './2026-12-01T1200-plan-holds.js';
import * as apiKeys from './2026-12-01T1400-api-keys.js';
import * as usage from './2026-12-02T1000-usage.js';
import * as sessions from './2026-12-02T1100-sessions.js';
import * as seatWarnings from './2026-12-02T1200-seat-warnings.js';
import * as seatRequests from './2026-12-02T1210-seat-requests.js';
import * as apiRateLimits from './2026-12-02T1300-api-rate-limits.js';
import * as usageUserDaysByDay from './2026-12-02T1410-usage-user-days-by-day.js';
import * as usageUserDaysByUser from './2026-12-02T1420-usage-user-days-by-user.js';
import * as notifications from './2026-12-03T1000-notifications.js';
import * as githubBudget from './2026-12-03T1500-github-budget.js';
import * as tenantIsolation from './2026-12-03T2000-tenant-isolation.js';
import * as tenantInstallationsReadOnly from './2026-12-03T2010-tenant-installations-read-only.js';
import * as deliveryTraceContext from './2026-12-03T3000-delivery-trace-context.js';
import * as deliveriesLeased from './2026-12-03T3100-deliveries-leased.js';

/**
 * Every migration, by name. Listed statically so the compiled app and the tests see the same set
 * without reading the file system; names sort in the order they apply.
 */
export const migrations: Record<string, Migration> = {
  '2026-11-29T1000-deliveries': deliveries,
  '2026-11-29T1100-governance': governance,
  '2026-11-29T1200-audit': audit,
  '2026-11-29T1300-commands': commands,
  '2026-12-01T1000-identity': identity,
  '2026-12-01T1100-audit-idempotency': auditIdempotency,
  '2026-12-01T1110-report-runs': reportRuns,
  '2026-12-01T1200-plan-holds': planHolds,
  '2026-12-01T1300-command-limits': commandLimits,
  '2026-12-01T1400-api-keys': apiKeys,
  '2026-12-01T2100-retention': retention,
  '2026-12-02T1000-usage': usage,
  '2026-12-02T1100-sessions': sessions,
  '2026-12-02T1200-seat-warnings': seatWarnings,
  '2026-12-02T1210-seat-requests': seatRequests,
  '2026-12-02T1300-api-rate-limits': apiRateLimits,
  '2026-12-02T1410-usage-user-days-by-day': usageUserDaysByDay,
  '2026-12-02T1420-usage-user-days-by-user': usageUserDaysByUser,
  '2026-12-03T1000-notifications': notifications,
  '2026-12-03T1500-github-budget': githubBudget,
  '2026-12-03T2000-tenant-isolation': tenantIsolation,
  '2026-12-03T2010-tenant-installations-read-only': tenantInstallationsReadOnly,
  '2026-12-03T3000-delivery-trace-context': deliveryTraceContext,
  '2026-12-03T3100-deliveries-leased': deliveriesLeased,
};
