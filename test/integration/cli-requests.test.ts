import { afterEach, describe, expect, it } from 'vitest';
import { upsertPendingRequest } from '../../src/db/seat-requests.js';
import { seedOrg } from '../helpers/api.js';
import { runCli } from '../helpers/cli.js';
import { backend, cliDatabase } from '../helpers/database.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe(`ceos requests (${backend})`, () => {
  it('lists seat requests, approves one with an expiring override and declines another', async () => {
    const { env, open } = cliDatabase((cleanup) => cleanups.push(cleanup));
    const database = await open();
    await seedOrg(database.db, 'Acme', 1);
    const now = new Date();
    const carol = await upsertPendingRequest(database.db, { org: 'acme', login: 'carol', userId: 3, reason: 'pairing', repository: null, issueNumber: null, commentId: null }, now);
    const bob = await upsertPendingRequest(database.db, { org: 'acme', login: 'bob', userId: 2, reason: null, repository: null, issueNumber: null, commentId: null }, now);
    await database.close();

    const list = await runCli(['requests', 'list', 'Acme', '--state', 'pending'], env);
    expect(list.stderr).toBe('');
    expect(list.stdout).toMatch(new RegExp(`${carol.row.id}\\s+carol\\s+pending`));

    const approved = await runCli(['requests', 'approve', 'Acme', carol.row.id, '--as', 'dave', '--for-days', '30', '--reason', 'welcome'], env);
    expect(approved.stderr).toBe('');
    expect(approved.stdout).toContain('approved the seat request of carol');
    const declined = await runCli(['requests', 'decline', 'Acme', bob.row.id, '--as', 'dave'], env);
    expect(declined.stdout).toContain('declined the seat request of bob');
    const again = await runCli(['requests', 'decline', 'Acme', bob.row.id], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`no pending seat request ${bob.row.id} in Acme`);

    const json = JSON.parse((await runCli(['requests', 'list', 'Acme', '--json'], env)).stdout) as { login: string; state: string; decidedBy: string }[];
    expect(json.map((r) => `${r.login}:${r.state}:${r.decidedBy}`).sort()).toEqual(['bob:declined:dave', 'carol:approved:dave']);
    const check = await open();
    cleanups.push(() => check.close());
    const override = await check.db.selectFrom('seat_overrides').select(['login', 'kind', 'actor', 'expires_at']).where('login', '=', 'carol').executeTakeFirstOrThrow();
    expect(override).toMatchObject({ login: 'carol', kind: 'grant', actor: 'dave' });
    expect(override.expires_at).not.toBeNull();
  });
});
