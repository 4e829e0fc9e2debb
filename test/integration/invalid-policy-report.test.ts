import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerPlanCommands } from '../../src/cli/plans-command.js';
import { backend } from '../helpers/database.js';
import { installationEvent } from '../helpers/payloads.js';
import { sendWebhook } from '../helpers/webhooks.js';
import { Command } from 'commander';
import { ENFORCE_POLICY, POLICY_PATH, type Scenario, checkRuns, fixture, startScenario } from './check-runs-setup.js';

let scenario: Scenario | undefined;
afterEach(async () => {
  await scenario?.close();
  scenario = undefined;
});

const MAIN_SHA = 'c0ffee0000000000000000000000000000000002';
/** The enforce policy with one unknown key (line 7). */
const INVALID_POLICY = ENFORCE_POLICY.replace('users: [carol]', 'users: [carol]\n    teamz: [design]');

function selectedUserWrites(s: Scenario): number {
  return s.fake.requests.filter((r) => r.path.endsWith('/copilot/billing/selected_users')).length;
}

/** Runs `ceos plans …` in process against the scenario's database; returns what it printed. */
async function plansCli(s: Scenario, args: string[]): Promise<string> {
  const printed: string[] = [];
  const program = new Command().exitOverride();
  registerPlanCommands(program, (fn) => fn(s.ceos.database), (text) => printed.push(text), () => s.ceos.log);
  await program.parseAsync(['plans', ...args], { from: 'user' });
  return printed.join('\n');
}

function writeComment(s: Scenario, author: string, body: string) {
  const repo = s.fake.repo('Acme', '.github');
  const user = s.fake.state.users.ensure(author, 'User');
  const commentId = s.fake.state.allocateId();
  repo.comments.set(commentId, { id: commentId, issueNumber: 1, body, user, createdAt: new Date().toISOString(), reactions: [] });
  const payload = fixture('issue_comment.created');
  payload.comment.id = commentId;
  payload.comment.body = body;
  for (const who of [payload.comment.user, payload.sender]) Object.assign(who, { login: user.login, id: user.id, type: user.type });
  return { repo, commentId, payload };
}

describe(`an invalid policy is reported as invalid (${backend})`, () => {
  it('after an install, ceos/compliance fails naming the problems with their lines; status, report and the CLI say invalid, not "no policy"', async () => {
    scenario = await startScenario({ mainPolicy: INVALID_POLICY });
    const s = scenario;
    s.fake.repo('Acme', '.github').setBranchHead('main', MAIN_SHA);
    const sent = await sendWebhook(s.ceos.url, { event: 'installation', payload: installationEvent('created', { login: 'Acme', installationId: 77 }) });
    expect(sent.status).toBe(202);

    await vi.waitFor(() => expect(checkRuns(s.fake, 'ceos/compliance', MAIN_SHA).filter((r) => r.status === 'completed')).toHaveLength(1), {
      timeout: 30_000,
      interval: 50,
    });
    const [run] = checkRuns(s.fake, 'ceos/compliance', MAIN_SHA);
    expect(run!.conclusion).toBe('failure');
    expect(run!.output.title).toBe('Policy invalid: 1 problem; nothing is enforced');
    const summary = run!.output.summary!;
    expect(summary).toContain(`❌ **Invalid policy**: \`${POLICY_PATH}\` at commit \`${MAIN_SHA.slice(0, 7)}\``);
    expect(summary).toMatch(/\| 7 \| `seats\.grant\.teamz` \| .*teamz/);
    expect(summary).not.toMatch(/no policy/i);
    expect(run!.annotations).toEqual([expect.objectContaining({ path: POLICY_PATH, start_line: 7, end_line: 7, annotation_level: 'failure' })]);
    expect(selectedUserWrites(s)).toBe(0);

    const plan = await s.ceos.database.db.selectFrom('plans').select(['id', 'status']).where('trigger', '=', 'install').executeTakeFirstOrThrow();
    expect(plan.status).toBe('invalid_policy');
    const shown = await plansCli(s, ['show', plan.id]);
    expect(shown).toContain(`plan ${plan.id} for Acme: invalid_policy`);
    expect(shown).toMatch(/policy INVALID \(file version [0-9a-f]{7}\), nothing is changed until it is fixed \(1 problem\):/);
    expect(shown).toMatch(/7 +seats\.grant\.teamz/);

    for (const command of ['/copilot status', '/copilot report']) {
      const comment = writeComment(s, 'alice', command);
      await sendWebhook(s.ceos.url, { event: 'issue_comment', payload: comment.payload });
      const reply = await vi.waitFor(
        () => {
          const found = [...comment.repo.comments.values()].find((c) => c.body.startsWith(`> \`${command}\``));
          expect(found).toBeDefined();
          return found!.body;
        },
        { timeout: 30_000, interval: 50 },
      );
      expect(reply).toContain(`❌ **Invalid policy**: \`${POLICY_PATH}\` (file version`);
      expect(reply).toMatch(/\| 7 \| `seats\.grant\.teamz` \|/);
      expect(reply).not.toContain('**No policy**');
    }
    expect(s.fake.violations).toEqual([]);
  });
});
