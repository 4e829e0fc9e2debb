import type { Kysely } from 'kysely';
import { generateApiKey } from '../../src/api/api-key-token.js';
import { insertApiKey } from '../../src/db/api-keys.js';
import type { ApiKeyRole } from '../../src/db/api-keys-schema.js';
import { upsertInstallation } from '../../src/db/installations.js';
import { replaceOrgGraph, replaceSeats, upsertBilling } from '../../src/db/mirror.js';
import { savePolicy } from '../../src/db/policies.js';
import type { Database } from '../../src/db/schema.js';
import type { CopilotSeat } from '../../src/domain/plan-types.js';
import { parsePolicy } from '../../src/domain/policy/parse-policy.js';

/** A valid enforce policy granting the `eng` team. */
export const POLICY_YAML = 'version: 1\nmode: enforce\nseats:\n  grant:\n    teams: [eng]\ninactivity:\n  revoke_after_days: 30\n';

/** Stores a key directly and returns its secret and id. */
export async function createKey(db: Kysely<Database>, role: ApiKeyRole, options: { orgs?: string[]; expiresAt?: Date; name?: string } = {}) {
  const secret = generateApiKey();
  const info = await insertApiKey(db, { name: options.name ?? role, role, orgs: options.orgs ?? null, expiresAt: options.expiresAt ?? null }, secret);
  return { id: info.id, key: secret.key, auth: { authorization: `Bearer ${secret.key}` } };
}

function seat(login: string, id: number, lastActivityAt: string | null, extra: Partial<CopilotSeat> = {}): CopilotSeat {
  return {
    assigneeLogin: login,
    assigneeId: id,
    assigningTeamSlug: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    lastActivityAt,
    lastActivityEditor: lastActivityAt ? 'vscode' : null,
    lastAuthenticatedAt: lastActivityAt,
    pendingCancellationDate: null,
    planType: 'business',
    ...extra,
  };
}

/**
 * An organization CEOS is installed on, with a fully synced mirror: members alice, bob, carol and
 * dave (dave owns), team eng (alice, bob) and its child team eng-web (carol), seats for alice
 * (active), bob (unused for 60 days), dave (not granted) and a valid enforce policy.
 */
export async function seedOrg(db: Kysely<Database>, login: string, installationId: number, now: Date = new Date()) {
  const org = login.toLowerCase();
  await upsertInstallation(db, { id: installationId, accountLogin: login, accountId: installationId * 10, accountType: 'Organization', repositorySelection: 'all', permissions: {}, events: [] }, 'active');
  const members = [
    { login: 'alice', id: 1, role: 'member' as const },
    { login: 'bob', id: 2, role: 'member' as const },
    { login: 'carol', id: 3, role: 'member' as const },
    { login: 'dave', id: 4, role: 'admin' as const },
  ];
  await replaceOrgGraph(
    db,
    org,
    {
      members,
      teams: [
        { slug: 'eng', id: 100, parentSlug: null },
        { slug: 'eng-web', id: 101, parentSlug: 'eng' },
      ],
      teamMemberships: { eng: [{ login: 'alice', id: 1 }, { login: 'bob', id: 2 }], 'eng-web': [{ login: 'carol', id: 3 }] },
    },
    now,
  );
  const day = 86_400_000;
  await replaceSeats(
    db,
    org,
    [seat('alice', 1, new Date(now.getTime() - 2 * day).toISOString()), seat('bob', 2, new Date(now.getTime() - 60 * day).toISOString()), seat('dave', 4, new Date(now.getTime() - day).toISOString())],
    now,
  );
  await upsertBilling(db, org, { seatManagementSetting: 'assign_selected', planType: 'business', seatBreakdown: {} }, now);
  const parsed = parsePolicy(POLICY_YAML);
  if (!parsed.ok) throw new Error('test policy is invalid');
  await savePolicy(db, org, { sha: 'abc123', ref: 'refs/heads/main', text: POLICY_YAML, policy: parsed.policy, errors: null }, now);
  return { org };
}
