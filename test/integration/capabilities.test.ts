import type { Job } from 'pg-boss';
import { afterEach, describe, expect, it } from 'vitest';
import { defineCapability } from '../../src/app/capability.js';
import { type TestCeos, startTestCeos } from '../helpers/ceos.js';
import { backend } from '../helpers/database.js';

let ceos: TestCeos | undefined;
afterEach(async () => {
  await ceos?.stop();
  ceos = undefined;
});

/** A capability that records what the composition root did with each of its parts. */
function probeCapability(calls: string[], done: (job: Job<{ n: number }>) => void) {
  return defineCapability({
    name: 'probe',
    register(ctx) {
      calls.push(`register:${ctx.processes}`);
      return {
        queues: [{ name: 'probe-work', options: { retryLimit: 0 } }],
        async start() {
          calls.push('start');
        },
        handlers: (app) => {
          calls.push('handlers');
          app.on('ping', async () => undefined);
        },
        async startWorkers({ boss, probot }) {
          calls.push(`workers:${typeof probot.receive}`);
          await boss.work<{ n: number }>('probe-work', async ([job]) => {
            done(job!);
          });
        },
        schedules: [{ queue: 'probe-work', cron: '0 0 1 1 *', data: { n: 0 } }],
        routes: async (server) => {
          server.get('/probe', async () => ({ probe: true }));
        },
        readiness: [async () => ({ name: 'probe', ok: true })],
        async onListening(url) {
          calls.push(`listening:${url.startsWith('http://127.0.0.1:')}`);
        },
        async shutdown() {
          calls.push('shutdown');
        },
      };
    },
  });
}

describe(`capability modules (${backend})`, () => {
  it('wires every part a capability declares: queue, start, handlers, workers, schedule, route, readiness, shutdown', async () => {
    const calls: string[] = [];
    let resolveWorked: (job: Job<{ n: number }>) => void = () => undefined;
    const worked = new Promise<Job<{ n: number }>>((resolve) => {
      resolveWorked = resolve;
    });
    ceos = await startTestCeos({}, { extraCapabilities: [probeCapability(calls, (job) => resolveWorked(job))] });
    // The worker the capability started takes a job from the queue it declared.
    await ceos.boss.send('probe-work', { n: 7 });
    expect((await worked).data).toEqual({ n: 7 });

    const instance = ceos!;
    expect(calls).toEqual(['register:true', 'start', 'handlers', 'workers:function', 'listening:true']);
    const schedules = await instance.boss.getSchedules();
    expect(schedules.map((s) => s.name)).toContain('probe-work');
    const route = await fetch(`${instance.url}/probe`);
    expect(await route.json()).toEqual({ probe: true });
    const ready = (await (await fetch(`${instance.url}/readyz`)).json()) as { checks: { name: string }[] };
    expect(ready.checks.map((c) => c.name)).toContain('probe');

    await instance.close();
    expect(calls.at(-1)).toBe('shutdown');
  });

  it('starts no workers or schedules of a capability in an intake-only instance, and still serves its routes', async () => {
    const calls: string[] = [];
    ceos = await startTestCeos({ CEOS_WORKERS: 'false' }, { extraCapabilities: [probeCapability(calls, () => undefined)] });
    expect(calls).toEqual(['register:false', 'start', 'listening:true']);
    expect((await ceos.boss.getSchedules()).map((s) => s.name)).not.toContain('probe-work');
    expect((await fetch(`${ceos.url}/probe`)).status).toBe(200);
  });
});
