import { createRequire } from 'node:module';
import { trace } from '@opentelemetry/api';
import { sql } from 'kysely';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type FakeGitHub, startFakeGitHub } from '../fake-github/index.js';
import { type TestCeos, startTestCeos } from '../helpers/ceos.js';
import { backend } from '../helpers/database.js';
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from '../helpers/otlp-receiver.js';
import { sendWebhook } from '../helpers/webhooks.js';

const require = createRequire(import.meta.url);

// OTLP span kinds.
const INTERNAL = 1;
const SERVER = 2;
const CLIENT = 3;
const PRODUCER = 4;
const CONSUMER = 5;

let fake: FakeGitHub | undefined;
let ceos: TestCeos | undefined;
let receiver: OtlpReceiver | undefined;
afterEach(async () => {
  await ceos?.stop();
  await fake?.close();
  await receiver?.close();
  ceos = undefined;
  fake = undefined;
  receiver = undefined;
});

/** Acme on the fake GitHub: two members, one seat, a report-mode policy (so the run only reads). */
async function acme(): Promise<FakeGitHub> {
  const github = await startFakeGitHub();
  github.addOrg({
    login: 'Acme',
    members: [{ login: 'alice', role: 'admin' }, { login: 'bob' }],
    teams: [{ slug: 'engineering', members: ['bob'] }],
    seats: [{ login: 'bob', createdAt: new Date(Date.now() - 10 * 86_400_000).toISOString(), lastActivityAt: new Date().toISOString() }],
    billing: { seatManagementSetting: 'assign_selected' },
  });
  github.addInstallation({ id: 77, account: 'Acme' });
  github.putFile({
    owner: 'Acme',
    repo: '.github',
    path: '.github/copilot-policy.yml',
    content: 'version: 1\nmode: report\nseats:\n  grant:\n    teams: [engineering]\n',
  });
  return github;
}

function installationCreated(): Record<string, any> {
  const definitions = require('@octokit/webhooks-examples') as { name: string; examples: Record<string, any>[] }[];
  const example = structuredClone(definitions.find((d) => d.name === 'installation')!.examples.find((e) => e.action === 'created')!);
  example.installation.id = 77;
  example.installation.account = { ...example.installation.account, login: 'Acme', id: 9001, type: 'Organization' };
  return example;
}

/** Starts CEOS on the fake GitHub, sends the installation and waits until its reconciliation has finished. */
async function installAcme(github: FakeGitHub, env: Record<string, string | undefined>): Promise<{ id: string; ceos: TestCeos }> {
  ceos = await startTestCeos({ GHE_HOST: github.host, GHE_PROTOCOL: 'http', APP_ID: '4242', ...env });
  const sent = await sendWebhook(ceos.url, { event: 'installation', payload: installationCreated() });
  expect(sent.status).toBe(202);
  await vi.waitFor(
    async () => {
      const plans = await ceos!.database.db.selectFrom('plans').select('id').where('org', '=', 'acme').where('finished_at', 'is not', null).execute();
      expect(plans).toHaveLength(1);
    },
    { timeout: 30_000, interval: 50 },
  );
  return { id: sent.id, ceos };
}

/** The trace context pg-boss stored on each reconciliation job. */
async function reconcileJobContexts(running: TestCeos): Promise<unknown[]> {
  const { rows } = await sql<{ trace_context: unknown }>`select trace_context from ${sql.table(`${running.database.schema}_jobs.job`)} where name = 'reconcile-org'`.execute(
    running.database.db,
  );
  return rows.map((r) => r.trace_context);
}

/** The spans from `span` up to its trace's root. */
function ancestors(spans: readonly ReceivedSpan[], span: ReceivedSpan): ReceivedSpan[] {
  const chain: ReceivedSpan[] = [];
  let current: ReceivedSpan | undefined = span;
  while (current?.parentSpanId) {
    const parentId: string = current.parentSpanId;
    current = spans.find((s) => s.traceId === span.traceId && s.spanId === parentId);
    if (current) chain.push(current);
  }
  return chain;
}

describe(`traces (${backend})`, () => {
  it('follow a delivery from the intake through its attempt, handler and job to the GitHub requests, with its GUID and organization', async () => {
    receiver = await startOtlpReceiver();
    fake = await acme();
    const { id, ceos: running } = await installAcme(fake, {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'ceos-under-test',
    });
    const stored = await running.database.db.selectFrom('deliveries').select('trace_context').where('id', '=', id).executeTakeFirstOrThrow();
    const githubRequests = fake.requests.filter((r) => r.operationId !== undefined).length;
    const jobContexts = await reconcileJobContexts(running);
    // Stopping shuts the tracer provider down, which exports every span still waiting.
    await running.stop();
    ceos = undefined;
    const spans = receiver.spans;
    expect(receiver.exports.every((e) => e.path === '/v1/traces' && e.contentType.startsWith('application/json'))).toBe(true);
    expect(new Set(spans.map((s) => s.serviceName))).toEqual(new Set(['ceos-under-test']));

    // The intake request: a server span, named after the route, with the verified delivery's attributes.
    const intake = spans.find((s) => s.kind === SERVER && s.attributes['github.delivery.guid'] === id)!;
    expect(intake).toMatchObject({
      name: 'POST /api/github/webhooks',
      parentSpanId: '',
      scope: 'ceos',
      attributes: {
        'http.request.method': 'POST',
        'http.route': '/api/github/webhooks',
        'http.response.status_code': 202,
        'github.event': 'installation',
        'github.action': 'created',
        'github.installation.id': 77,
        'ceos.org': 'Acme',
      },
    });
    // The trace context crossed the database on the delivery's row.
    expect(JSON.parse(stored.trace_context!)).toEqual({ traceparent: `00-${intake.traceId}-${intake.spanId}-01` });

    // The attempt that processed it, on the worker, continues the intake's trace as its child.
    const attempt = spans.find((s) => s.name === 'delivery installation')!;
    expect(attempt).toMatchObject({
      kind: CONSUMER,
      traceId: intake.traceId,
      parentSpanId: intake.spanId,
      attributes: { 'github.delivery.guid': id, 'ceos.org': 'Acme', 'ceos.delivery.attempt': 1, 'github.event': 'installation' },
    });

    // Each handler of the event ran in a span of its own under the attempt.
    const handlers = spans.filter((s) => s.parentSpanId === attempt.spanId && s.kind === INTERNAL);
    expect(handlers.length).toBeGreaterThanOrEqual(1);
    for (const handler of handlers) {
      expect(handler.name).toMatch(/^handler installation/);
      expect(handler.attributes).toMatchObject({ 'github.delivery.guid': id, 'github.event': 'installation' });
    }

    // The reconciliation job: queued from a handler (pg-boss's producer span), run by a worker as
    // its child (the context travelled with the job), with the organization on it.
    const queued = spans.find((s) => s.kind === PRODUCER && s.name === 'send reconcile-org' && s.traceId === intake.traceId)!;
    expect(queued).toBeDefined();
    expect(ancestors(spans, queued).map((s) => s.spanId)).toEqual(expect.arrayContaining([attempt.spanId, intake.spanId]));
    expect(handlers.map((h) => h.spanId)).toContain(queued.parentSpanId);
    const job = spans.find((s) => s.kind === CONSUMER && s.name === 'process reconcile-org' && s.parentSpanId === queued.spanId)!;
    expect(jobContexts).toEqual([{ traceparent: `00-${queued.traceId}-${queued.spanId}-01` }]);
    expect(job).toMatchObject({ traceId: intake.traceId, attributes: { 'messaging.system': 'pg-boss', 'ceos.org': 'acme' } });

    // The job's GitHub requests: client spans under it, with method, route template and status.
    const calls = spans.filter((s) => s.kind === CLIENT && s.scope === 'ceos' && ancestors(spans, s).some((a) => a.spanId === job.spanId));
    const billing = calls.find((s) => s.name === 'GET /orgs/{org}/copilot/billing')!;
    expect(billing).toMatchObject({
      attributes: {
        'http.request.method': 'GET',
        'url.template': '/orgs/{org}/copilot/billing',
        'url.full': `${fake.apiUrl}/orgs/Acme/copilot/billing`,
        'http.response.status_code': 200,
        'server.address': '127.0.0.1',
        'server.port': fake.port,
      },
    });
    // A paginated list is requested by full URL: its span has the method for a name, and the URL.
    const seats = calls.find((s) => String(s.attributes['url.full']).startsWith(`${fake!.apiUrl}/orgs/Acme/copilot/billing/seats?`))!;
    expect(seats).toMatchObject({ name: 'GET', attributes: { 'http.response.status_code': 200 } });
    expect(seats.attributes['url.template']).toBeUndefined();
    expect(calls.find((s) => s.name === 'POST /graphql')).toMatchObject({ attributes: { 'url.template': '/graphql', 'http.response.status_code': 200 } });
    // Every request the fake GitHub answered has its client span (the token exchange included).
    const allCalls = spans.filter((s) => s.kind === CLIENT && s.scope === 'ceos');
    expect(allCalls.length).toBeGreaterThanOrEqual(githubRequests);
    // No span says anything a request carried before its signature was checked, nor a token.
    expect(JSON.stringify(spans)).not.toMatch(/ghs_|Bearer|x-hub-signature/i);
  });

  it('send protobuf by default (the specification’s default protocol)', async () => {
    receiver = await startOtlpReceiver();
    fake = await acme();
    const { id, ceos: running } = await installAcme(fake, { OTEL_EXPORTER_OTLP_ENDPOINT: `${receiver.url}/` });
    await running.stop();
    ceos = undefined;
    expect(receiver.exports.length).toBeGreaterThan(0);
    expect(receiver.exports.every((e) => e.path === '/v1/traces' && e.contentType === 'application/x-protobuf')).toBe(true);
    // Strings travel as they are in protobuf: the delivery's GUID and the span names are there.
    const bodies = Buffer.concat(receiver.exports.map((e) => e.body)).toString('latin1');
    expect(bodies).toContain(id);
    expect(bodies).toContain('POST /api/github/webhooks');
    expect(bodies).toContain('GET /orgs/{org}/copilot/billing');
    expect(bodies).toContain('ceos'); // service.name's default
  });

  it('never hold up the work when the collector refuses them: the failed export is logged', async () => {
    receiver = await startOtlpReceiver({ refuseWith: 400 });
    fake = await acme();
    const { ceos: running } = await installAcme(fake, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
    await running.stop();
    ceos = undefined;
    expect(receiver.exports.length).toBeGreaterThan(0);
    expect(running.logs.lines.some((l) => l.component === 'tracing' && l.level === 40)).toBe(true);
  });

  it('are off without OTEL_EXPORTER_OTLP_ENDPOINT: no tracer is registered, nothing is stored or exported', async () => {
    receiver = await startOtlpReceiver();
    fake = await acme();
    const { id, ceos: running } = await installAcme(fake, {});
    // The API alone is a no-op: a span started now records nothing.
    expect(trace.getTracer('probe').startSpan('probe').isRecording()).toBe(false);
    const stored = await running.database.db.selectFrom('deliveries').select('trace_context').where('id', '=', id).executeTakeFirstOrThrow();
    expect(stored.trace_context).toBeNull();
    expect(await reconcileJobContexts(running)).toEqual([null]);
    await running.stop();
    ceos = undefined;
    expect(receiver.exports).toEqual([]);
  });
});
