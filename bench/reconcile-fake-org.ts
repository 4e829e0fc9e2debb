import { createHash } from 'node:crypto';
import type { OrgInit } from '../test/fake-github/index.js';
import type { FakeGitHub } from '../test/fake-github/index.js';
import { type SyntheticOrg, type SyntheticOrgOptions, generateSyntheticOrg } from './synthetic-org.js';

/** Where the benchmark puts the policy, as CEOS looks for it by default. */
export const POLICY_LOCATION = { repository: '.github', path: '.github/copilot-policy.yml' } as const;

/** Installation id of the app on the synthetic organization. */
export const BENCH_INSTALLATION_ID = 31_337;

/**
 * Cancellations one plan of the benchmark may send without an owner's confirmation. Its policy
 * calls for 2,745 at the default size; the limit is stated explicitly, as an owner planning a
 * large clean-up would, so the run applies whole whatever size is asked and whatever the default.
 */
export const BENCH_MAX_CANCELLATIONS = 3_000;

/** The benchmark's organization: the synthetic one, its policy with an explicit `safeguards.max_cancellations`. */
export function benchOrg(options: SyntheticOrgOptions): SyntheticOrg {
  const org = generateSyntheticOrg(options);
  return {
    ...org,
    policy: { ...org.policy, safeguards: { max_cancellations: BENCH_MAX_CANCELLATIONS } },
    policyText: `${org.policyText.trimEnd()}\nsafeguards:\n  max_cancellations: ${BENCH_MAX_CANCELLATIONS}\n`,
  };
}

/** Team slug to its direct members, each login once (the generator may list one twice; GitHub cannot). */
export function directTeamMembers(org: SyntheticOrg): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const team of org.snapshot.teams) {
    const seen = new Set<string>();
    const logins: string[] = [];
    for (const login of org.snapshot.teamMemberships[team.slug] ?? []) {
      const key = login.toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      logins.push(login);
    }
    out.set(team.slug, logins);
  }
  return out;
}

/** The synthetic organization as the fake GitHub's seed: same members, teams, memberships, seats and settings. */
export function toFakeOrgInit(org: SyntheticOrg): OrgInit {
  const { snapshot } = org;
  const members = directTeamMembers(org);
  return {
    login: snapshot.org,
    members: snapshot.members.map((m) => ({ login: m.login, role: m.role })),
    teams: snapshot.teams.map((t) => ({ slug: t.slug, parent: t.parentSlug, members: members.get(t.slug) ?? [] })),
    seats: snapshot.seats.map((s) => ({
      login: s.assigneeLogin,
      createdAt: s.createdAt,
      lastActivityAt: s.lastActivityAt,
      lastActivityEditor: s.lastActivityEditor,
      lastAuthenticatedAt: s.lastAuthenticatedAt,
      pendingCancellationDate: s.pendingCancellationDate,
      assigningTeam: s.assigningTeamSlug,
      planType: s.planType,
    })),
    billing: { seatManagementSetting: snapshot.billing.seatManagementSetting },
  };
}

/** Loads the organization, its policy file (in `.github`) and the app's installation into the fake. */
export function seedFakeGitHub(fake: FakeGitHub, org: SyntheticOrg): void {
  const login = org.snapshot.org;
  fake.addOrg(toFakeOrgInit(org));
  fake.addInstallation({ id: BENCH_INSTALLATION_ID, account: login });
  fake.addRepo({ owner: login, name: POLICY_LOCATION.repository });
  fake.putFile({ owner: login, repo: POLICY_LOCATION.repository, path: POLICY_LOCATION.path, content: org.policyText });
}

/**
 * A digest of the organization definition, so the process that serves it and the process that
 * sets the expectations can show they generated the same organization.
 */
export function definitionDigest(org: SyntheticOrg): string {
  return createHash('sha256')
    .update(JSON.stringify(org.snapshot))
    .update(org.policyText)
    .update(JSON.stringify(org.overrides))
    .digest('hex')
    .slice(0, 16);
}
