import { describe, expect, it } from 'vitest';
import { PermanentDeliveryError, isPermanentDeliveryError } from '../../src/engine/permanent-delivery-error.js';
import {
  checkRunRerequestedSchema,
  checkSuiteRerequestedSchema,
  installationEventSchema,
  installationRepositoriesEventSchema,
  isEnterprise,
  issueCommentEventSchema,
  orgMemberEventSchema,
  organizationRenamedSchema,
  parsePayload,
  pullRequestEventSchema,
  pushEventSchema,
  teamEventSchema,
  teamMembershipEventSchema,
} from '../../src/handlers/payload-schemas.js';
import { examplePayload } from '../helpers/payloads.js';
import { webhookExamples } from '../helpers/webhooks.js';

// Every event and action a handler acts on, with the schema its handler parses it with.
const HANDLED = [
  { event: 'installation', actions: ['created', 'deleted', 'suspend', 'unsuspend', 'new_permissions_accepted'], schema: installationEventSchema },
  { event: 'installation_repositories', actions: ['added', 'removed'], schema: installationRepositoriesEventSchema },
  { event: 'organization', actions: ['member_added', 'member_removed'], schema: orgMemberEventSchema },
  { event: 'organization', actions: ['renamed'], schema: organizationRenamedSchema },
  { event: 'membership', actions: ['added', 'removed'], schema: teamMembershipEventSchema },
  { event: 'team', actions: ['created', 'edited', 'deleted'], schema: teamEventSchema },
  { event: 'push', actions: [undefined], schema: pushEventSchema },
  { event: 'pull_request', actions: ['opened', 'synchronize', 'reopened'], schema: pullRequestEventSchema },
  { event: 'check_run', actions: ['rerequested'], schema: checkRunRerequestedSchema },
  { event: 'check_suite', actions: ['rerequested'], schema: checkSuiteRerequestedSchema },
  { event: 'issue_comment', actions: ['created'], schema: issueCommentEventSchema },
] as const;

describe('webhook payload schemas', () => {
  it("accept every documented example of the events CEOS acts on, and keep the fields they do not name", () => {
    const examples = webhookExamples();
    let checked = 0;
    for (const { event, actions, schema } of HANDLED) {
      for (const example of examples.filter((e) => e.event === event && (actions as readonly (string | undefined)[]).includes(e.payload.action as string | undefined))) {
        const parsed = parsePayload(schema, event, example.payload) as Record<string, unknown>;
        expect(parsed).toEqual(example.payload);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(15);
  });

  it.each([
    ['organization', 'member_added', orgMemberEventSchema, (p: Record<string, any>): void => void delete p.membership.user.id, 'membership.user.id'],
    ['organization', 'member_added', orgMemberEventSchema, (p: Record<string, any>): void => void delete p.organization, 'organization'],
    ['team', 'created', teamEventSchema, (p: Record<string, any>): void => void (p.team.slug = 42), 'team.slug'],
    ['installation', 'created', installationEventSchema, (p: Record<string, any>): void => void delete p.installation.account.login, 'installation.account.login'],
    ['issue_comment', 'created', issueCommentEventSchema, (p: Record<string, any>): void => void delete p.comment.author_association, 'comment.author_association'],
    ['push', undefined, pushEventSchema, (p: Record<string, any>): void => void (p.after = 'not-a-sha'), 'after'],
  ] as const)('a %s.%s payload without what CEOS needs is a permanent error naming %s', (event, action, schema, damage, field) => {
    const payload = action === undefined ? webhookExamples().find((e) => e.event === event)!.payload : examplePayload(event, action);
    damage(payload as Record<string, any>);
    let thrown: unknown;
    try {
      parsePayload(schema, `${event}.${action ?? ''}`, payload);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(PermanentDeliveryError);
    expect((thrown as Error).message).toContain(`${event}.${action ?? ''} payload lacks what CEOS needs: ${field}: `);
  });

  it('tells an enterprise installation from an organization one, by target_type or by its account', () => {
    expect(isEnterprise({ target_type: 'Enterprise', account: { slug: 'acme-corp' } })).toBe(true);
    expect(isEnterprise({ account: { slug: 'acme-corp' } })).toBe(true);
    expect(isEnterprise({ target_type: 'Organization', account: { login: 'acme' } })).toBe(false);
    expect(isEnterprise({ account: { login: 'acme' } })).toBe(false);
    const payload = examplePayload('installation', 'created');
    payload.installation.target_type = 'Enterprise';
    payload.installation.account = { id: 5, slug: 'acme-corp', name: 'Acme Corp', node_id: 'E_1' };
    expect(() => parsePayload(installationEventSchema, 'installation.created', payload)).not.toThrow();
    delete payload.installation.account.slug;
    expect(() => parsePayload(installationEventSchema, 'installation.created', payload)).toThrow('installation.account.slug: required for an installation on an enterprise');
  });

  it('counts an aggregate of handler errors as permanent only when every one of them is', () => {
    const permanent = new PermanentDeliveryError('no login');
    expect(isPermanentDeliveryError(permanent)).toBe(true);
    expect(isPermanentDeliveryError(new AggregateError([permanent], 'x'))).toBe(true);
    expect(isPermanentDeliveryError(new AggregateError([permanent, new Error('502')], 'x'))).toBe(false);
    expect(isPermanentDeliveryError(new AggregateError([], 'x'))).toBe(false);
    expect(isPermanentDeliveryError(new TypeError('undefined'))).toBe(false);
  });
});
