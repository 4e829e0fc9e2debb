import { describe, expect, it } from 'vitest';
import {
  decideCommandPermission,
  type CommandPermissionInput,
} from '../../src/domain/commands/decide-command-permission.js';
import { isCommandRepository } from '../../src/domain/commands/is-command-repository.js';

// platform ─┬─ platform-sre
//           └─ platform-tools ── platform-tools-ci
const parents: Record<string, string | null> = {
  platform: null,
  'platform-sre': 'platform',
  'platform-tools': 'platform',
  'platform-tools-ci': 'platform-tools',
  marketing: null,
};

function expandTeams(slugs: readonly string[]): Set<string> {
  const wanted = new Set(slugs.map((s) => s.toLowerCase()));
  const result = new Set<string>();
  for (const slug of Object.keys(parents)) {
    for (let at: string | null | undefined = slug; at != null; at = parents[at]) {
      if (wanted.has(at)) result.add(slug);
    }
  }
  return result;
}

function input(overrides: Partial<CommandPermissionInput>): CommandPermissionInput {
  return {
    commenter: { login: 'someone', type: 'User' },
    orgRole: 'member',
    commenterTeams: [],
    policyCommandTeams: ['platform'],
    expandTeams,
    ...overrides,
  };
}

describe('decideCommandPermission', () => {
  it.each<[string, Partial<CommandPermissionInput>, ReturnType<typeof decideCommandPermission>]>([
    ['an org owner', { orgRole: 'admin' }, { decision: 'allow', via: 'org-owner', team: null }],
    ['an org owner in no team and no command teams', { orgRole: 'admin', policyCommandTeams: [] }, { decision: 'allow', via: 'org-owner', team: null }],
    ['a member of a command team', { commenterTeams: ['platform'] }, { decision: 'allow', via: 'command-team', team: 'platform' }],
    ['a member of a child team', { commenterTeams: ['platform-sre'] }, { decision: 'allow', via: 'command-team', team: 'platform' }],
    ['a member of a grandchild team', { commenterTeams: ['Platform-Tools-CI'] }, { decision: 'allow', via: 'command-team', team: 'platform' }],
    ['a member of another team', { commenterTeams: ['marketing'] }, { decision: 'refuse', reason: 'not-allowed' }],
    ['a member of the parent of a command team', { commenterTeams: ['platform'], policyCommandTeams: ['platform-sre'] }, { decision: 'refuse', reason: 'not-allowed' }],
    ['a member in no team', {}, { decision: 'refuse', reason: 'not-allowed' }],
    ['an outside collaborator', { orgRole: null, commenterTeams: ['platform'] }, { decision: 'refuse', reason: 'not-allowed' }],
    ['a bot by type', { commenter: { login: 'ci-app', type: 'Bot' }, orgRole: 'admin' }, { decision: 'ignore', reason: 'bot' }],
    ['a bot by login', { commenter: { login: 'renovate[bot]', type: 'User' }, commenterTeams: ['platform'] }, { decision: 'ignore', reason: 'bot' }],
  ])('%s', (_name, overrides, expected) => {
    expect(decideCommandPermission(input(overrides))).toEqual(expected);
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
