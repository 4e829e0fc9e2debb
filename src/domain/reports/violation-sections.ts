import type { Violation, ViolationCode } from '../plan-types.js';
import type { SummarySection } from './fit-summary.js';
import { formatCount } from './format-values.js';
import { escapeMarkdown, formatLogin, formatTeam, shorten } from './markdown-escape.js';
import { tableSection } from './table-section.js';

const MAX_DETAIL_CHARS = 200;

/** How each kind of violation is titled, in the order reports show them. */
export const VIOLATION_TITLES: Readonly<Record<ViolationCode, string>> = {
  over_cap: 'Seats over the cap',
  over_budget: 'Budget overrun',
  held_outside_policy: 'Seats held outside the policy',
  inactive_not_cancelled: 'Inactive seats',
  denied_team_assigned: 'Denied people with a team-assigned seat',
  team_assigned_outside_policy: 'Team-assigned seats outside the policy',
};

const ORDER = Object.keys(VIOLATION_TITLES) as ViolationCode[];

/** A count per kind of violation, then organization-wide violations as sentences and the others as tables. */
export function violationSections(violations: readonly Violation[]): SummarySection[] {
  if (violations.length === 0) return [{ kind: 'text', markdown: 'No violations: every seat follows the policy.' }];
  const byCode = new Map<ViolationCode, Violation[]>();
  for (const violation of violations) {
    byCode.set(violation.code, [...(byCode.get(violation.code) ?? []), violation]);
  }
  const present = ORDER.filter((code) => byCode.has(code));
  const counts = [
    '| Violation | Count |',
    '|---|---:|',
    ...present.map((code) => `| ${VIOLATION_TITLES[code]} | ${formatCount(byCode.get(code)?.length ?? 0)} |`),
  ].join('\n');
  const sections: SummarySection[] = [{ kind: 'text', markdown: counts }];

  for (const code of present) {
    const list = byCode.get(code) ?? [];
    const orgWide = list.filter((v) => v.login === null);
    const perSeat = list.filter((v) => v.login !== null);
    if (orgWide.length > 0) {
      sections.push({
        kind: 'text',
        markdown: `### ${VIOLATION_TITLES[code]}\n\n${orgWide.map((v) => `- ❌ ${escapeMarkdown(v.text)}`).join('\n')}`,
      });
    }
    if (perSeat.length > 0) {
      sections.push(
        tableSection({
          heading: `### ${VIOLATION_TITLES[code]} (${formatCount(perSeat.length)})`,
          columns: ['User', 'Team', 'Details'],
          rows: perSeat.map((v) => [
            formatLogin(v.login ?? ''),
            v.team === null ? '' : formatTeam(v.team),
            escapeMarkdown(shorten(v.text, MAX_DETAIL_CHARS)),
          ]),
          foldLabel: `Show ${formatCount(perSeat.length)} ${VIOLATION_TITLES[code].toLowerCase()}`,
          empty: '',
        }),
      );
    }
  }
  return sections;
}
