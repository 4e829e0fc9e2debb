import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { type TestCeos, startTestCeos } from '../helpers/ceos.js';
import { backend } from '../helpers/database.js';
import { metricValue } from '../helpers/deliveries.js';

const running: TestCeos[] = [];
afterEach(async () => {
  for (const instance of running.splice(0)) await instance.stop();
});

describe(`engine metrics (${backend})`, () => {
  it('reports the intake waiting, the age of the oldest due delivery and the plans held, read at scrape time', async () => {
    // Workers off, so the rows stay as inserted.
    const ceos = await startTestCeos({ CEOS_WORKERS: 'false' });
    running.push(ceos);
    let text = await ceos.metrics.registry.metrics();
    expect(text).toContain('ceos_intake_waiting{unit="deliveries"} 0');
    expect(text).toContain('ceos_intake_waiting{unit="bytes"} 0');
    expect(metricValue(text, 'ceos_delivery_oldest_due_seconds')).toBe(0);

    await sql`
      insert into deliveries (id, event, payload, status, next_attempt_at)
      values (${randomUUID()}, 'ping', '{}', 'received', now() - interval '90 seconds'),
             (${randomUUID()}, 'ping', '{}', 'failed', now() + interval '1 hour'),
             (${randomUUID()}, 'ping', '{}', 'processed', now() - interval '1 day')`.execute(ceos.database.db);
    for (const [org, status] of [['acme', 'awaiting_confirmation'], ['acme', 'awaiting_confirmation'], ['globex', 'awaiting_confirmation'], ['acme', 'applied']]) {
      await sql`insert into plans (org, trigger, actor, mode, status, plan, adds, cancels, violations)
                values (${org}, 'schedule', 'schedule', 'enforce', ${status}, '{}', 0, 0, 0)`.execute(ceos.database.db);
    }

    text = await ceos.metrics.registry.metrics();
    const lag = metricValue(text, 'ceos_delivery_oldest_due_seconds');
    expect(lag).toBeGreaterThanOrEqual(90);
    expect(lag).toBeLessThan(120);
    expect(metricValue(text, 'ceos_plans_held{org="acme"}')).toBe(2);
    expect(metricValue(text, 'ceos_plans_held{org="globex"}')).toBe(1);
  });
});
