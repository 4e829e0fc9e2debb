import { describe, expect, it } from 'vitest';
import {
  decideCommandPermission,
  type CommandPermission,
  type CommandPermissionInput,
} from '../../src/domain/commands/decide-command-permission.js';
import { isCommandRepository } from '../../src/domain/commands/is-command-repository.js';
import { expandTeamMembers, indexTeams } from '../../src/domain/planner/team-members.js';

// platform ─┬─ platform-sre
//           └─ platform-tools ── platform-tools-ci
// marketing
const teams = indexTeams({
  teams: [
    { slug: 'platform', id: 1, parentSlug: null },
    { slug: 'platform-sre', id: 2, parentSlug: 'platform' },
    { slug: 'platform-tools', id: 3, parentSlug: 'platform' },
    { slug: 'platform-tools-ci', id: 4, parentSlug: 'platform-tools' },
    { slug: 'marketing', id: 5, parentSlug: null },
  ],
  teamMemberships: {
    platform: ['Paula'],
    'platform-sre': ['sam'],
    'platform-tools-ci': ['Cid'],
    marketing: ['mark'],
  },
});

function decide(
  login: string,
  orgRole: CommandPermissionInput['orgRole'],
  commandTeams: readonly string[] = ['platform'],
  type = 'User',
): CommandPermission {
  return decideCommandPermission({
    commenter: { login, type },
    orgRole,
    commandTeamMembers: expandTeamMembers(teams, commandTeams),
  });
}

describe('decideCommandPermission', () => {
  it.each<[string, CommandPermission, () => CommandPermission]>([
    ['an org owner', { decision: 'allow', via: 'org-owner', team: null }, () => decide('owner', 'admin')],
    ['an org owner when no command teams are set', { decision: 'allow', via: 'org-owner', team: null }, () => decide('owner', 'admin', [])],
    ['a member of a command team', { decision: 'allow', via: 'command-team', team: 'platform' }, () => decide('paula', 'member')],
    ['a member of a child team', { decision: 'allow', via: 'command-team', team: 'platform' }, () => decide('Sam', 'member')],
    ['a member of a grandchild team', { decision: 'allow', via: 'command-team', team: 'platform' }, () => decide('cid', 'member')],
    ['a member of another team', { decision: 'refuse', reason: 'not-allowed' }, () => decide('mark', 'member')],
    ['a member of the parent of a command team', { decision: 'refuse', reason: 'not-allowed' }, () => decide('paula', 'member', ['platform-sre'])],
    ['a member in no team', { decision: 'refuse', reason: 'not-allowed' }, () => decide('nobody', 'member')],
    ['someone outside the organization', { decision: 'refuse', reason: 'not-allowed' }, () => decide('sam', null)],
    ['a bot by account type, even an owner', { decision: 'ignore', reason: 'bot' }, () => decide('ci-app', 'admin', ['platform'], 'Bot')],
    ['a bot by login', { decision: 'ignore', reason: 'bot' }, () => decide('renovate[bot]', 'member')],
  ])('%s', (_name, expected, actual) => {
    expect(actual()).toEqual(expected);
  });
});

describe('isCommandRepository', () => {
  it.each<[string, string[] | undefined, boolean]>([
    ['.github', undefined, true],
    ['.GitHub', undefined, true],
    ['acme/.github', undefined, true],
    ['copilot-admin', undefined, false],
    ['Copilot-Admin', ['copilot-admin', '.github'], true],
    ['.github', ['copilot-admin'], false],
    ['copilot-admin', ['acme/copilot-admin'], true],
  ])('%s in %j is %s', (repo, repositories, expected) => {
    expect(isCommandRepository(repo, repositories)).toBe(expected);
  });
});
