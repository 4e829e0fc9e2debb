import { PgBoss } from 'pg-boss';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/app/config.js';

// The configuration checks cron variables with CEOS's own five-field grammar. Whatever it accepts,
// pg-boss (cron-parser) must accept too, or a schedule would still fail after start.
describe('cron variables accepted at start are schedules pg-boss accepts', () => {
  // Never started: previewSchedule only parses.
  const boss = new PgBoss({ connectionString: 'postgres://unused@127.0.0.1:1/unused' });
  it.each(['*/15 * * * *', '17 3 * * *', '41 * * * *', '0 9-17/2 * * MON-FRI', '5 4 1,15 JAN-MAR 0', '0 0 * * 7', '30 2 31 12 *'])(
    '%s',
    (cron) => {
      expect(loadConfig({ CEOS_PRUNE_SCHEDULE: cron }).pruneSchedule).toBe(cron);
      expect(boss.previewSchedule(cron, { from: new Date('2026-12-01T00:00:00Z'), count: 1 })).toHaveLength(1);
    },
  );
});
