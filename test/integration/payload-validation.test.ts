import { afterEach, describe, expect, it, vi } from 'vitest';
import { replayDelivery } from '../../src/db/deliveries.js';
import { RECONCILE_QUEUE } from '../../src/jobs/reconcile-queue.js';
import { type FakeGitHub, startFakeGitHub } from '../fake-github/index.js';
import { type TestCeos, startTestCeos } from '../helpers/ceos.js';
import { backend } from '../helpers/database.js';
import { waitForDeliveryStatus } from '../helpers/deliveries.js';
import { examplePayload, installationEvent, memberEvent } from '../helpers/payloads.js';
import { sendWebhook } from '../helpers/webhooks.js';

let ceos: TestCeos | undefined;
let fake: FakeGitHub | undefined;
afterEach(async () => {
  await ceos?.stop();
  await fake?.close();
  ceos = undefined;
  fake = undefined;
});

const ACME = { login: 'Acme', installationId: 77 };

/** CEOS against a fake GitHub holding Acme, with Acme's installation webhook not yet sent. */
async function start(): Promise<{ ceos: TestCeos; github: FakeGitHub }> {
  fake = await startFakeGitHub();
  fake.addOrg({ login: 'Acme', members: [{ login: 'alice', role: 'admin' }], teams: [], seats: [], billing: { seatManagementSetting: 'assign_selected' } });
  fake.addInstallation({ id: 77, account: 'Acme' });
  ceos = await startTestCeos({ GHE_HOST: fake.host, GHE_PROTOCOL: 'http', APP_ID: '4242', CEOS_DELIVERY_MAX_ATTEMPTS: '8' });
  return { ceos, github: fake };
}

async function send(instance: TestCeos, event: string, payload: unknown, id?: string): Promise<string> {
  const sent = await sendWebhook(instance.url, { event, payload, id });
  expect(sent.status).toBe(202);
  return sent.id;
}

/** Reconciliation jobs in any state. */
async function reconcileJobs(instance: TestCeos) {
  return instance.boss.findJobs<{ trigger: string; org: string }>(RECONCILE_QUEUE);
}

describe(`validated webhook payloads (${backend})`, () => {
  it('dead-letters a payload missing what CEOS needs on its first attempt, naming the field', async () => {
    const { ceos } = await start();
    const member = memberEvent('member_added', ACME, { login: 'bob', id: 2 });
    delete member.membership.user.id;
    const comment = examplePayload('issue_comment', 'created');
    delete comment.comment.author_association;

    const memberId = await send(ceos, 'organization', member);
    const commentId = await send(ceos, 'issue_comment', comment);
    const memberRow = await waitForDeliveryStatus(ceos.database.db, memberId, 'dead');
    const commentRow = await waitForDeliveryStatus(ceos.database.db, commentId, 'dead');

    expect(memberRow.attempts).toBe(1);
    expect(memberRow.last_error).toMatch(/^organization\.member_added payload lacks what CEOS needs: membership\.user\.id: /);
    expect(commentRow.attempts).toBe(1);
    expect(commentRow.last_error).toMatch(/^issue_comment\.created payload lacks what CEOS needs: comment\.author_association: /);
    expect(ceos.logs.lines.filter((l) => l.msg === 'delivery dead-lettered: it can never be processed')).toHaveLength(2);
  });

  it('records an installation on an enterprise account as not governed: no dead letter, no run, no call to GitHub', async () => {
    const { ceos, github } = await start();
    const payload = examplePayload('installation', 'created');
    payload.installation.id = 501;
    payload.installation.target_type = 'Enterprise';
    payload.installation.account = { id: 88001, slug: 'acme-corp', name: 'Acme Corp', node_id: 'E_kgDOAAFXwQ', html_url: 'https://github.com/enterprises/acme-corp' };
    github.clearLog();

    const id = await send(ceos, 'installation', payload);
    await waitForDeliveryStatus(ceos.database.db, id, 'processed');

    const row = await ceos.database.db.selectFrom('installations').selectAll().where('id', '=', '501').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ org: 'enterprise/acme-corp', account_login: 'acme-corp', account_type: 'Enterprise', account_id: '88001', status: 'active' });
    const audit = await ceos.database.db.selectFrom('audit_log').select(['org', 'action', 'reason', 'details']).execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ org: 'enterprise/acme-corp', action: 'installation.created', details: { accountType: 'Enterprise', governed: false } });
    expect(audit[0]!.reason).toContain('CEOS governs organizations only');
    expect(ceos.logs.lines.some((l) => l.msg === 'installation recorded but not governed: CEOS governs organizations only' && l.accountType === 'Enterprise')).toBe(true);
    expect(await reconcileJobs(ceos)).toEqual([]);
    expect(github.requests.filter((r) => r.installationId === 501)).toEqual([]);
    expect(github.requests.filter((r) => r.path !== '/app/hook/deliveries')).toEqual([]);

    // Uninstalling it is recorded the same way.
    const deleted = examplePayload('installation', 'deleted');
    deleted.installation = payload.installation;
    await waitForDeliveryStatus(ceos.database.db, await send(ceos, 'installation', deleted), 'processed');
    expect((await ceos.database.db.selectFrom('installations').select('status').where('id', '=', '501').executeTakeFirstOrThrow()).status).toBe('deleted');
  });

  it('an installation.created processed twice records one audit entry and queues one run', async () => {
    const { ceos } = await start();
    const id = await send(ceos, 'installation', installationEvent('created', ACME));
    await waitForDeliveryStatus(ceos.database.db, id, 'processed');
    await vi.waitFor(async () => expect(await reconcileJobs(ceos)).toHaveLength(1), { timeout: 20_000, interval: 50 });

    // The worker runs the same delivery again (as after a crash before its outcome was recorded).
    expect((await replayDelivery(ceos.database.db, id)).replayed).toBe(true);
    await vi.waitFor(async () => {
      const row = await ceos.database.db.selectFrom('deliveries').select(['status', 'attempts']).where('id', '=', id).executeTakeFirstOrThrow();
      expect(row).toEqual({ status: 'processed', attempts: 1 });
    }, { timeout: 20_000, interval: 25 });

    const audit = await ceos.database.db.selectFrom('audit_log').select('action').where('action', '=', 'installation.created').execute();
    expect(audit).toHaveLength(1);
    const jobs = await reconcileJobs(ceos);
    expect(jobs.map((j) => j.data.trigger)).toEqual(['install']);
    expect(ceos.logs.lines.filter((l) => l.msg === 'installation active')).toHaveLength(2);
  });
});
