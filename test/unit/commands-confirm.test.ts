import { describe, expect, it } from 'vitest';
import { parseCommands } from '../../src/domain/commands/parse-commands.js';
import { renderConfirmAnswer, renderConfirmRefusal } from '../../src/domain/reports/render-confirm-reply.js';

const ID = '3f2b8c1e-5d4a-4e2b-9c1f-7a6b5c4d3e2f';

describe('/copilot confirm', () => {
  it.each([
    { line: '/copilot confirm', command: { verb: 'confirm', planId: null } },
    { line: `/copilot confirm ${ID}`, command: { verb: 'confirm', planId: ID } },
    { line: `/copilot CONFIRM ${ID.toUpperCase()}`, command: { verb: 'confirm', planId: ID } },
  ])('parses $line', ({ line, command }) => {
    expect(parseCommands(line)).toEqual([{ kind: 'command', command, line: 1, source: line }]);
  });

  it.each(['/copilot confirm 42', `/copilot confirm ${ID} ${ID}`, '/copilot confirm all'])('refuses %s with the form to use', (line) => {
    const [parsed] = parseCommands(line);
    expect(parsed?.kind).toBe('usage-error');
    expect(parsed?.kind === 'usage-error' && parsed.message).toContain('takes at most one plan id');
  });

  it('suggests confirm for a typo', () => {
    const [parsed] = parseCommands('/copilot confirn');
    expect(parsed?.kind === 'usage-error' && parsed.message).toContain('Did you mean `/copilot confirm`?');
  });

  it('answers what changed nothing, and refuses politely', () => {
    expect(renderConfirmAnswer('/copilot confirm', { kind: 'no_held_plan', org: 'Acme' })).toContain('No plan of `Acme` is waiting for confirmation');
    expect(renderConfirmAnswer(`/copilot confirm ${ID}`, { kind: 'superseded', org: 'Acme', planId: ID, newestPlanId: 'new-id' })).toContain(
      'the newest plan holding cancellations is `new-id`. Nothing was changed.',
    );
    expect(renderConfirmAnswer(`/copilot confirm ${ID}`, { kind: 'not_held', org: 'Acme', planId: ID, status: 'applied', confirmedBy: null })).toContain('(it is `applied`)');
    expect(renderConfirmRefusal('/copilot confirm', 'bob')).toContain('Sorry `@bob`, only organization owners can confirm held cancellations');
  });
});
