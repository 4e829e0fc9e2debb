import { describe, expect, it } from 'vitest';
import { describeDelivery } from '../../src/intake/describe-delivery.js';

const org = { login: 'Acme' };
const installation = { id: 77, account: { login: 'Acme-Install' } };
const repository = { full_name: 'octo/hello', owner: { login: 'octo' } };
const sender = { login: 'alice' };
const arrived = new Date('2026-11-29T12:00:00.123Z');

describe('describeDelivery', () => {
  it.each([
    ['organization first', { organization: org, installation, repository }, 'Acme'],
    ['the installation account without an organization', { installation, repository }, 'Acme-Install'],
    ['the repository owner without either', { repository }, 'octo'],
    ['an installation without an account (installation_target, deleted accounts)', { installation: { id: 5 }, repository }, 'octo'],
    ['nothing to go on', {}, null],
    ['a malformed organization', { organization: 'Acme', repository }, 'octo'],
    ['an organization login that is not text', { organization: { login: 42 }, installation }, 'Acme-Install'],
  ])('takes the org from %s', (_name, payload, expected) => {
    expect(describeDelivery('guid', 'push', payload as Record<string, unknown>, '{}').org).toBe(expected);
  });

  it('extracts every column and keeps the raw body as is', () => {
    const payload = { action: 'member_added', organization: org, installation, repository, sender };
    const raw = ` ${JSON.stringify(payload)} `;
    expect(describeDelivery('d-1', 'organization', payload, raw, arrived)).toEqual({
      id: 'd-1',
      event: 'organization',
      action: 'member_added',
      installationId: 77,
      org: 'Acme',
      repository: 'octo/hello',
      sender: 'alice',
      payload: raw,
      receivedAt: arrived,
    });
  });

  it.each([
    ['a ping', { zen: 'z', hook_id: 1 }],
    ['fields of the wrong type', { action: 3, installation: { id: '77' }, repository: { full_name: ['x'] }, sender: 'alice' }],
    ['null fields', { action: null, installation: null, organization: null, repository: null, sender: null }],
    ['arrays where objects belong', { installation: [77], organization: [org], repository: [repository], sender: [sender] }],
  ])('leaves the columns empty for %s', (_name, payload) => {
    expect(describeDelivery('d-2', 'ping', payload as Record<string, unknown>, '{}', arrived)).toEqual({
      id: 'd-2',
      event: 'ping',
      action: null,
      installationId: null,
      org: null,
      repository: null,
      sender: null,
      payload: '{}',
      receivedAt: arrived,
    });
  });
});
