import { describe, expect, it } from 'vitest';
import { decideDashboardAccess } from '../../src/domain/access/dashboard-access.js';
import { escapeHtml, html, jsonScript } from '../../src/dashboard/html.js';

describe('decideDashboardAccess', () => {
  const cases = [
    { name: 'an owner gets admin for the orgs they own', standings: [{ org: 'acme', role: 'admin', commandTeamMember: false }], want: { ok: true, role: 'admin', orgs: ['acme'] } },
    { name: 'a command-team member gets operator', standings: [{ org: 'acme', role: 'member', commandTeamMember: true }], want: { ok: true, role: 'operator', orgs: ['acme'] } },
    {
      name: 'owner of one and operator of another: operator for both',
      standings: [
        { org: 'globex', role: 'admin', commandTeamMember: false },
        { org: 'acme', role: 'member', commandTeamMember: true },
      ],
      want: { ok: true, role: 'operator', orgs: ['acme', 'globex'], ownerOf: ['globex'], operatorOf: ['acme'] },
    },
    { name: 'a plain member is refused', standings: [{ org: 'acme', role: 'member', commandTeamMember: false }], want: { ok: false } },
    { name: 'no installed organization: refused', standings: [], want: { ok: false } },
  ] as const;
  for (const c of cases) {
    it(c.name, () => {
      expect(decideDashboardAccess('mona', c.standings)).toMatchObject(c.want);
    });
  }

  it('says why a refusal happened, naming the person', () => {
    const refused = decideDashboardAccess('mona', []);
    expect(refused).toEqual({ ok: false, reason: 'mona is not an owner of any organization CEOS is installed on, nor a member of a team its policy lets run commands (commands.teams).' });
  });
});

describe('dashboard markup', () => {
  it('escapes every interpolated value, and nested markup once', () => {
    const login = '<img src=x onerror=alert(1)>"\'&';
    expect(escapeHtml(login)).toBe('&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;');
    expect(html`<td title="${login}">${login}</td>`.value).toBe(`<td title="${escapeHtml(login)}">${escapeHtml(login)}</td>`);
    expect(html`<ul>${['a', '<b>'].map((x) => html`<li>${x}</li>`)}</ul>`.value).toBe('<ul><li>a</li><li>&lt;b&gt;</li></ul>');
    expect(html`${null}${undefined}${false}${0}`.value).toBe('0');
  });

  it('keeps chart data inside its JSON block whatever it holds', () => {
    const block = jsonScript('d', { login: '</script><script>alert(1)</script>' }).value;
    expect(block).not.toContain('</script><script>');
    expect(JSON.parse(block.slice(block.indexOf('>') + 1, block.lastIndexOf('</script>')))).toEqual({ login: '</script><script>alert(1)</script>' });
  });
});
