import { readFileSync } from 'node:fs';
import { expect, vi } from 'vitest';
import { upsertInstallation } from '../../src/db/installations.js';
import { enqueueReconcile } from '../../src/jobs/reconcile-queue.js';
import type { FakeCheckRun } from '../fake-github/repo-state.js';
import { type FakeGitHub, startFakeGitHub } from '../fake-github/index.js';
import { LogCapture, type TestCeos, startTestCeos } from '../helpers/ceos.js';

/** Where the scenarios keep their policy, as CEOS is configured by default. */
export const POLICY_PATH = '.github/copilot-policy.yml';
export const POLICY_LOCATION = { repository: '.github', path: POLICY_PATH };
/** The head commit of the fixtures' pull request and push. */
export const HEAD_SHA = '1f3c5e7a9b2d4f6081a3c5e7092b4d6f8a0c2e41';
const APP_ID = 4242;

const DAY = 86_400_000;
function daysAgo(n: number): string {
  return new Date(Date.now() - n * DAY).toISOString();
}

/** A webhook payload from test/fixtures (`<event>.<action>.json`), as a fresh copy to edit. */
export function fixture(name: string): Record<string, any> {
  return JSON.parse(readFileSync(new URL(`../fixtures/${name}.json`, import.meta.url), 'utf8')) as Record<string, unknown>;
}

/** A policy that grants `engineering` (and its child team `platform`) and carol, denies mallory. */
export const ENFORCE_POLICY = `version: 1
mode: enforce
seats:
  grant:
    teams: [engineering]
    users: [carol]
  deny:
    users: [mallory]
`;

/** A running scenario: the fake GitHub, CEOS with the check-run handlers and workers, and their log. */
export interface Scenario {
  fake: FakeGitHub;
  ceos: TestCeos;
  logs: LogCapture;
  close(): Promise<void>;
}

/**
 * Starts the fake with the organization Acme (installation 77, repository `.github` on `main`)
 * and CEOS with this area's handlers, policy-check worker and reporter wired as the product wires
 * them, then syncs the mirror once without reporting.
 */
export async function startScenario(
  options: { mainPolicy?: string | null; withRepository?: boolean; extraEngineers?: number } = {},
): Promise<Scenario> {
  const fake = await startFakeGitHub();
  const engineers = Array.from({ length: options.extraEngineers ?? 0 }, (_, i) => `engineer-${String(i).padStart(5, '0')}`);
  fake.addOrg({
    login: 'Acme',
    members: [
      { login: 'alice', role: 'admin' },
      { login: 'Bob' },
      { login: 'carol' },
      { login: 'dave' },
      { login: 'mallory' },
      ...engineers.map((login) => ({ login })),
    ],
    teams: [
      { slug: 'engineering', members: ['alice', ...engineers] },
      { slug: 'platform', parent: 'engineering', members: ['Bob'] },
    ],
    seats: [
      { login: 'Bob', createdAt: daysAgo(300), lastActivityAt: daysAgo(2) },
      { login: 'mallory', createdAt: daysAgo(30), lastActivityAt: daysAgo(1) },
      { login: 'dave', createdAt: daysAgo(120), lastActivityAt: daysAgo(3) },
    ],
    billing: { seatManagementSetting: 'assign_selected' },
  });
  fake.addInstallation({ id: 77, account: 'Acme' });
  if (options.withRepository !== false) {
    fake.addRepo({ owner: 'Acme', name: '.github', defaultBranch: 'main' });
    fake.putFile({ owner: 'Acme', repo: '.github', path: 'README.md', content: '# Acme\n' });
    if (options.mainPolicy) fake.putFile({ owner: 'Acme', repo: '.github', path: POLICY_PATH, content: options.mainPolicy });
  }

  const ceos: TestCeos = await startTestCeos({ GHE_HOST: fake.host, GHE_PROTOCOL: 'http', APP_ID: String(APP_ID) });

  await upsertInstallation(
    ceos.database.db,
    { id: 77, accountLogin: 'Acme', accountId: 9001, accountType: 'Organization', repositorySelection: 'all', permissions: {}, events: [] },
    'active',
  );
  await enqueueReconcile(ceos.boss, { org: 'acme', installationId: 77, trigger: 'api', actor: 'test', refreshGraph: true, apply: false });
  await waitForPlans(ceos, 1);
  const started = ceos;
  return {
    fake,
    ceos: started,
    logs: started.logs,
    async close() {
      await started.stop();
      await fake.close();
    },
  };
}

/** Waits until at least `count` plans are stored; returns them oldest first. */
export async function waitForPlans(ceos: TestCeos, count: number) {
  await vi.waitFor(
    async () => {
      const plans = await ceos.database.db.selectFrom('plans').select('id').execute();
      expect(plans.length).toBeGreaterThanOrEqual(count);
    },
    { timeout: 30_000, interval: 50 },
  );
  return ceos.database.db.selectFrom('plans').selectAll().orderBy('created_at').execute();
}

/** Check runs of a name on a commit in Acme/.github, oldest first. */
export function checkRuns(fake: FakeGitHub, name: string, sha: string): FakeCheckRun[] {
  return [...fake.repo('Acme', '.github').checkRuns.values()].filter((run) => run.name === name && run.headSha === sha).sort((a, b) => a.id - b.id);
}

/** Waits until `count` runs of a name on a commit are completed; returns every run of it. */
export async function waitForCompletedRuns(fake: FakeGitHub, name: string, sha: string, count = 1): Promise<FakeCheckRun[]> {
  await vi.waitFor(
    () => {
      expect(checkRuns(fake, name, sha).filter((run) => run.status === 'completed')).toHaveLength(count);
    },
    { timeout: 30_000, interval: 50 },
  );
  return checkRuns(fake, name, sha);
}

/** Waits until a log line with this message has been written `count` times, by this area's code or the product's. */
export async function waitForLog(scenario: Scenario, msg: string, count = 1): Promise<Record<string, unknown>[]> {
  const matching = () => scenario.ceos.logs.lines.filter((line) => line.msg === msg);
  await vi.waitFor(
    () => {
      expect(matching().length).toBeGreaterThanOrEqual(count);
    },
    { timeout: 30_000, interval: 50 },
  );
  return matching();
}

/** Waits until a delivery has been processed by the handlers. */
export async function waitForDelivery(ceos: TestCeos, id: string): Promise<void> {
  await vi.waitFor(
    async () => {
      const row = await ceos.database.db.selectFrom('deliveries').select('status').where('id', '=', id).executeTakeFirst();
      expect(row?.status).toBe('processed');
    },
    { timeout: 30_000, interval: 50 },
  );
}

/** Makes `sha` the head of Acme/.github's default branch, as a push would. */
export function setDefaultBranchHead(fake: FakeGitHub, sha: string): void {
  fake.repo('Acme', '.github').setBranchHead('main', sha);
}
