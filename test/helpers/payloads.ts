import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

// Payloads start from GitHub's documented examples and change only what a test is about.
type Payload = Record<string, any>;

/** A copy of the first documented example of `event` with `action`. */
export function examplePayload(event: string, action: string): Payload {
  const definitions = require('@octokit/webhooks-examples') as { name: string; examples: Payload[] }[];
  const example = definitions.find((d) => d.name === event)?.examples.find((e) => e.action === action);
  if (!example) throw new Error(`no example of ${event}.${action}`);
  return structuredClone(example);
}

/** The organization a test's events belong to. */
export interface TestOrg {
  login: string;
  installationId: number;
  /** The organization's account id (CEOS recognises the organization by it); 9001 unless told. */
  accountId?: number;
}

function onOrg(payload: Payload, org: TestOrg): Payload {
  payload.organization = { ...payload.organization, login: org.login, id: org.accountId ?? 9001 };
  payload.installation = { id: org.installationId, node_id: payload.installation?.node_id ?? 'MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==' };
  return payload;
}

/** `installation.created` (or another installation action) for an organization. */
export function installationEvent(action: 'created' | 'deleted' | 'suspend' | 'unsuspend', org: TestOrg & { accountId?: number }): Payload {
  const payload = examplePayload('installation', action);
  payload.installation.id = org.installationId;
  payload.installation.account = { ...payload.installation.account, login: org.login, id: org.accountId ?? 9001, type: 'Organization' };
  return payload;
}

/** `organization.member_added` / `member_removed`. */
export function memberEvent(
  action: 'member_added' | 'member_removed',
  org: TestOrg,
  user: { login: string; id: number; role?: 'admin' | 'member' },
): Payload {
  const payload = onOrg(examplePayload('organization', 'member_added'), org);
  payload.action = action;
  payload.membership = {
    ...payload.membership,
    state: 'active',
    role: user.role ?? 'member',
    user: { ...payload.membership.user, login: user.login, id: user.id },
  };
  return payload;
}

/** `membership.added` / `removed`: a direct team membership. */
export function teamMembershipEvent(
  action: 'added' | 'removed',
  org: TestOrg,
  team: { slug: string; id: number; name?: string },
  member: { login: string; id: number },
  scope = 'team',
): Payload {
  const payload = onOrg(examplePayload('membership', action), org);
  payload.scope = scope;
  payload.team = { ...payload.team, slug: team.slug, id: team.id, name: team.name ?? team.slug };
  payload.member = { ...payload.member, login: member.login, id: member.id };
  return payload;
}

/** `team.created` / `edited` / `deleted`. */
export function teamEvent(
  action: 'created' | 'edited' | 'deleted',
  org: TestOrg,
  team: { slug: string; id: number; name?: string; parent?: { slug: string; id: number } | null },
  changes: Payload = {},
): Payload {
  const payload = onOrg(examplePayload('team', action), org);
  payload.team = {
    ...payload.team,
    slug: team.slug,
    id: team.id,
    name: team.name ?? team.slug,
    parent: team.parent ? { ...payload.team, slug: team.parent.slug, id: team.parent.id, name: team.parent.slug } : null,
  };
  if (action === 'edited') payload.changes = changes;
  return payload;
}
