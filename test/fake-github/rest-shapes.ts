import type { FakeAccount, FakeSeat, FakeTeam } from './fake-state.js';

const WEB = 'https://github.example';

/** GitHub's `simple-user` for an account. */
export function simpleUser(account: FakeAccount, apiUrl: string): Record<string, unknown> {
  const base = `${apiUrl}/users/${account.login}`;
  return {
    login: account.login,
    id: account.id,
    node_id: nodeId(account.type === 'Organization' ? 'O' : 'U', account.id),
    avatar_url: `${WEB}/avatars/u/${account.id}`,
    gravatar_id: '',
    url: base,
    html_url: `${WEB}/${account.login}`,
    followers_url: `${base}/followers`,
    following_url: `${base}/following{/other_user}`,
    gists_url: `${base}/gists{/gist_id}`,
    starred_url: `${base}/starred{/owner}{/repo}`,
    subscriptions_url: `${base}/subscriptions`,
    organizations_url: `${base}/orgs`,
    repos_url: `${base}/repos`,
    events_url: `${base}/events{/privacy}`,
    received_events_url: `${base}/received_events`,
    type: account.type,
    site_admin: false,
  };
}

/** GitHub's `organization-simple`. */
export function organizationSimple(org: FakeAccount, apiUrl: string): Record<string, unknown> {
  const base = `${apiUrl}/orgs/${org.login}`;
  return {
    login: org.login,
    id: org.id,
    node_id: nodeId('O', org.id),
    url: base,
    repos_url: `${base}/repos`,
    events_url: `${base}/events`,
    hooks_url: `${base}/hooks`,
    issues_url: `${base}/issues`,
    members_url: `${base}/members{/member}`,
    public_members_url: `${base}/public_members{/member}`,
    avatar_url: `${WEB}/avatars/u/${org.id}`,
    description: null,
  };
}

/** GitHub's `team` (as embedded in a Copilot seat's `assigning_team`). */
export function teamShape(team: FakeTeam, org: FakeAccount, apiUrl: string, parent: FakeTeam | undefined): Record<string, unknown> {
  const base = `${apiUrl}/organizations/${org.id}/team/${team.id}`;
  return {
    id: team.id,
    node_id: nodeId('T', team.id),
    url: base,
    html_url: `${WEB}/orgs/${org.login}/teams/${team.slug}`,
    name: team.name,
    slug: team.slug,
    description: null,
    privacy: 'closed',
    notification_setting: 'notifications_enabled',
    permission: 'pull',
    members_url: `${base}/members{/member}`,
    repositories_url: `${base}/repos`,
    type: 'organization',
    organization_id: org.id,
    parent:
      parent === undefined
        ? null
        : {
            id: parent.id,
            node_id: nodeId('T', parent.id),
            url: `${apiUrl}/organizations/${org.id}/team/${parent.id}`,
            html_url: `${WEB}/orgs/${org.login}/teams/${parent.slug}`,
            name: parent.name,
            slug: parent.slug,
            description: null,
            permission: 'pull',
            members_url: `${apiUrl}/organizations/${org.id}/team/${parent.id}/members{/member}`,
            repositories_url: `${apiUrl}/organizations/${org.id}/team/${parent.id}/repos`,
            type: 'organization',
          },
  };
}

/** GitHub's `copilot-seat-details`. */
export function seatShape(seat: FakeSeat, assigningTeam: Record<string, unknown> | null, apiUrl: string): Record<string, unknown> {
  return {
    created_at: seat.createdAt,
    updated_at: seat.updatedAt,
    pending_cancellation_date: seat.pendingCancellationDate,
    last_activity_at: seat.lastActivityAt,
    last_activity_editor: seat.lastActivityEditor,
    last_authenticated_at: seat.lastAuthenticatedAt,
    plan_type: seat.planType,
    assignee: simpleUser(seat.assignee, apiUrl),
    assigning_team: assigningTeam,
  };
}

/** A GitHub-looking global node id. */
export function nodeId(prefix: string, id: number): string {
  return `${prefix}_${Buffer.from(`0${prefix}${id}`).toString('base64url')}`;
}
