import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { SecretBox, keyIdOf } from '../../src/security/secret-box.js';
import { openSubscriptionUrl } from '../../src/notifications/subscription-secrets.js';
import { runCli } from '../helpers/cli.js';
import { backend, cliDatabase } from '../helpers/database.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe(`ceos webhooks and ceos secrets rotate (${backend})`, () => {
  it('adds, lists, tests and removes webhooks, and re-encrypts their secrets under a new key while the old one is still accepted', async () => {
    const { env, open } = cliDatabase((cleanup) => cleanups.push(cleanup));
    await (await open()).close();
    const keyA = randomBytes(32);
    const keyB = randomBytes(32);
    const url = 'http://127.0.0.1:9/services/T000/B000/XXXXsecretpath';

    const refused = await runCli(['webhooks', 'add', url, '--event', 'seat.added', '--format', 'slack'], { ...env, CEOS_WEBHOOK_ALLOW_PRIVATE: 'true' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/CEOS_ENCRYPTION_KEY is not set/);
    const added = await runCli(['webhooks', 'add', url, '--event', 'seat.added,seat.cancelled', '--format', 'slack', '--org', 'Acme', '--json'], {
      ...env,
      CEOS_ENCRYPTION_KEY: keyA.toString('base64'),
      CEOS_WEBHOOK_ALLOW_PRIVATE: 'true',
    });
    expect(added.stderr).toBe('');
    const hook = JSON.parse(added.stdout) as { id: string; secret: string; events: string[]; orgs: string[] };
    expect(hook).toMatchObject({ events: ['seat.added', 'seat.cancelled'], orgs: ['acme'] });
    expect(hook.secret).toMatch(/^whsec_/);

    // The key is rotated: B is current, A still accepted; the URL opens, and `secrets rotate` re-seals it under B.
    const rotating = { ...env, CEOS_ENCRYPTION_KEY: keyB.toString('base64'), CEOS_ENCRYPTION_KEYS_PREVIOUS: keyA.toString('base64') };
    const rotated = await runCli(['secrets', 'rotate'], rotating);
    expect(rotated.stderr).toBe('');
    expect(rotated.stdout).toContain(`1 subscription re-encrypted; every readable value is now under key ${keyIdOf(keyB)}`);

    const database = await open();
    const row = await database.db.selectFrom('notification_subscriptions').selectAll().where('id', '=', hook.id).executeTakeFirstOrThrow();
    await database.close();
    expect([row.url_key_id, row.secret_key_id]).toEqual([keyIdOf(keyB), keyIdOf(keyB)]);
    expect(openSubscriptionUrl(new SecretBox(keyB), row)).toBe(url);
    expect(() => openSubscriptionUrl(new SecretBox(keyA), row)).toThrow(/not.*CEOS_ENCRYPTION_KEY|neither/);

    const onlyB = { ...env, CEOS_ENCRYPTION_KEY: keyB.toString('base64') };
    const json = JSON.parse((await runCli(['webhooks', 'list', '--json'], onlyB)).stdout) as { id: string; url: string }[];
    expect(json.map((w) => [w.id, w.url])).toEqual([[hook.id, url]]);
    expect(JSON.stringify(json)).not.toContain('whsec_');
    const test = await runCli(['webhooks', 'test', hook.id], onlyB);
    expect(test.stdout).toMatch(new RegExp(`test message msg_\\S+ queued for webhook ${hook.id}`));
    expect((await runCli(['webhooks', 'remove', hook.id], onlyB)).stdout).toContain(`webhook ${hook.id} deleted`);
    const after = await open();
    expect(await after.db.selectFrom('notification_subscriptions').select('id').execute()).toEqual([]);
    await after.close();
    // Six CLI processes, each opening the database: on a busy machine they need more than the default minute.
  }, 150_000);
});
