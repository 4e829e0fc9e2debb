import nock from 'nock';
import pino from 'pino';
import { ProbotOctokit } from 'probot';
import { afterEach, describe, expect, it } from 'vitest';
import type { CheckAnnotation, CheckRunReport } from '../../src/domain/reports/check-run-types.js';
import { type CheckRunTarget, publishCheckRun } from '../../src/github/check-runs.js';

const API = 'https://github.test';
const RUNS = '/api/v3/repos/Acme/.github/check-runs';
const SHA = '1f3c5e7a9b2d4f6081a3c5e7092b4d6f8a0c2e41';
const LIST = `/api/v3/repos/Acme/.github/commits/${SHA}/check-runs`;
const target: CheckRunTarget = { owner: 'Acme', repo: '.github', headSha: SHA, name: 'ceos/reconcile' };
const now = () => new Date('2026-06-01T12:00:00Z');

function octokit() {
  return new ProbotOctokit({
    auth: { token: 'test' },
    baseUrl: `${API}/api/v3`,
    log: pino({ level: 'silent' }),
    throttle: { enabled: false },
    retry: { enabled: false },
  });
}

function annotations(count: number): CheckAnnotation[] {
  return Array.from({ length: count }, (_, i) => ({
    path: '.github/copilot-policy.yml',
    start_line: i + 1,
    end_line: i + 1,
    annotation_level: 'failure' as const,
    message: `problem ${i + 1}`,
  }));
}

function report(count: number, summary = 'Summary'): CheckRunReport {
  return { conclusion: 'failure', title: 'Policy invalid', summary, annotations: annotations(count) };
}

function run(id: number, fields: { status: string; external_id: string | null; annotations_count?: number; app?: number }) {
  return {
    id,
    name: 'ceos/reconcile',
    head_sha: SHA,
    status: fields.status,
    conclusion: fields.status === 'completed' ? 'failure' : null,
    external_id: fields.external_id,
    app: { id: fields.app ?? 4242 },
    output: { annotations_count: fields.annotations_count ?? 0 },
  };
}

/** Lists the given runs for the commit, checking the query asks for every run of the check by CEOS. */
function listing(runs: ReturnType<typeof run>[]) {
  return nock(API)
    .get(LIST)
    .query({ check_name: 'ceos/reconcile', filter: 'all', per_page: '100', app_id: '4242' })
    .reply(200, { total_count: runs.length, check_runs: runs });
}

afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
});

describe('publishing a check run', () => {
  it('creates a completed run in one request when it has at most 50 annotations', async () => {
    listing([]);
    let body: Record<string, unknown> = {};
    nock(API)
      .post(RUNS, (b: Record<string, unknown>) => ((body = b), true))
      .reply(201, run(7, { status: 'completed', external_id: 'plan-1' }));
    const published = await publishCheckRun(octokit(), target, report(50), { externalId: 'plan-1', reuse: { externalId: 'plan-1' }, now, appId: 4242 });
    expect(published).toEqual({ id: 7, action: 'created' });
    expect(body).toMatchObject({ name: 'ceos/reconcile', head_sha: SHA, external_id: 'plan-1', status: 'completed', conclusion: 'failure' });
    expect((body.output as { annotations: unknown[] }).annotations).toHaveLength(50);
  });

  it('sends more than 50 annotations while in progress and concludes with the last batch', async () => {
    listing([]);
    const sent: Record<string, unknown>[] = [];
    nock(API)
      .post(RUNS, (b: Record<string, unknown>) => (sent.push(b), true))
      .reply(201, run(8, { status: 'in_progress', external_id: 'plan-1' }));
    nock(API)
      .patch(`${RUNS}/8`, (b: Record<string, unknown>) => (sent.push(b), true))
      .times(3)
      .reply(200, run(8, { status: 'in_progress', external_id: 'plan-1' }));
    await publishCheckRun(octokit(), target, report(130), { externalId: 'plan-1', reuse: { externalId: 'plan-1' }, now, appId: 4242 });
    expect(sent.map((b) => b.status ?? null)).toEqual(['in_progress', null, null, 'completed']);
    expect(sent.map((b) => (b.output as { annotations?: unknown[] }).annotations?.length ?? 0)).toEqual([0, 50, 50, 30]);
    expect(sent[3]).toMatchObject({ conclusion: 'failure', completed_at: '2026-06-01T12:00:00.000Z' });
  });

  it('finishes a run left in progress by a failed attempt without repeating its annotations', async () => {
    listing([run(9, { status: 'in_progress', external_id: 'plan-1', annotations_count: 50 })]);
    const sent: { output: { annotations?: CheckAnnotation[] } }[] = [];
    nock(API)
      .patch(`${RUNS}/9`, (b: { output: { annotations?: CheckAnnotation[] } }) => (sent.push(b), true))
      .times(2)
      .reply(200, run(9, { status: 'completed', external_id: 'plan-1' }));
    const published = await publishCheckRun(octokit(), target, report(120), { externalId: 'plan-1', reuse: { externalId: 'plan-1' }, now, appId: 4242 });
    expect(published).toEqual({ id: 9, action: 'updated' });
    expect(sent.map((b) => b.output.annotations?.[0]?.message)).toEqual(['problem 51', 'problem 101']);
  });

  it('leaves a run completed for the same external id as it is', async () => {
    listing([run(10, { status: 'completed', external_id: 'plan-1', annotations_count: 3 })]);
    const published = await publishCheckRun(octokit(), target, report(3), { externalId: 'plan-1', reuse: { externalId: 'plan-1' }, now, appId: 4242 });
    expect(published).toEqual({ id: 10, action: 'unchanged' });
  });

  it('refreshes the latest run in place only when neither it nor the report has annotations', async () => {
    listing([run(11, { status: 'completed', external_id: 'plan-0' })]);
    nock(API).patch(`${RUNS}/11`, { external_id: 'plan-1', status: 'completed', conclusion: 'failure', completed_at: '2026-06-01T12:00:00.000Z', output: { title: 'Policy invalid', summary: 'Summary' } }).reply(200, run(11, { status: 'completed', external_id: 'plan-1' }));
    expect(await publishCheckRun(octokit(), target, report(0), { externalId: 'plan-1', reuse: 'latest', now, appId: 4242 })).toEqual({ id: 11, action: 'updated' });

    listing([run(12, { status: 'completed', external_id: 'plan-1', annotations_count: 2 })]);
    nock(API).post(RUNS).reply(201, run(13, { status: 'completed', external_id: 'plan-2' }));
    expect(await publishCheckRun(octokit(), target, report(2), { externalId: 'plan-2', reuse: 'latest', now, appId: 4242 })).toEqual({ id: 13, action: 'created' });
  });

  it("never takes another app's run of the same name for CEOS's", async () => {
    listing([run(14, { status: 'in_progress', external_id: 'plan-1', app: 99 })]);
    nock(API).post(RUNS).reply(201, run(15, { status: 'completed', external_id: 'plan-1' }));
    expect(await publishCheckRun(octokit(), target, report(1), { externalId: 'plan-1', reuse: { externalId: 'plan-1' }, now, appId: 4242 })).toEqual({
      id: 15,
      action: 'created',
    });
  });

  it('refuses a summary over the Checks API limit before sending anything', async () => {
    await expect(
      publishCheckRun(octokit(), target, report(0, 'x'.repeat(65_536)), { externalId: 'plan-1', reuse: 'latest', now }),
    ).rejects.toThrow(/ceos\/reconcile summary is 65536 characters; the Checks API takes at most 65535/);
  });
});
