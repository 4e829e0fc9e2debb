import type { NotificationFormat } from '../db/notification-schema.js';
import type { Notification } from './notification-types.js';

/** Rows a chat message lists before it says "and N more". */
export const CHAT_ROWS = 10;

/** A rendered message body and the type it is listed under. */
export interface RenderedMessage {
  type: string;
  body: string;
}

/** How many notifications a folded group stands for, when it carries only its first rows. */
export interface FoldCounts {
  /** Notifications by type (e.g. 120 `seat.added`). */
  byType: Readonly<Record<string, number>>;
}

/** Options of rendering: where the dashboard is, for the link. */
export interface RenderOptions {
  /** Origin of CEOS (`CEOS_PUBLIC_URL`), or undefined when none is configured (no link then). */
  publicUrl: string | undefined;
}

/** The Standard Webhooks body of one notification. */
export function standardBody(n: Notification): string {
  return JSON.stringify({ type: n.type, timestamp: n.timestamp, data: n.data });
}

function dashboardLink(org: string | null, options: RenderOptions): string | null {
  if (!options.publicUrl) return null;
  return org ? `${options.publicUrl}/orgs/${encodeURIComponent(org)}` : `${options.publicUrl}/`;
}

function row(n: Notification): string {
  const d = n.data;
  switch (n.type) {
    case 'seat.added':
      return `+ ${d.login}${d.reason ? ` (${d.reason})` : ''}`;
    case 'seat.cancelled':
      return `− ${d.login}${d.reason ? ` (${d.reason})` : ''}`;
    case 'plan.awaiting_confirmation':
      return `Plan ${d.plan_id} holds ${d.held} cancellations for an owner's confirmation (limit ${d.limit} of ${d.seats_held} seats)`;
    case 'plan.applied':
      return `Plan ${d.plan_id} ${d.status === 'partially_applied' ? 'partly applied' : 'applied'}: ${d.added} added, ${d.cancelled} cancelled, ${d.failed} failed`;
    case 'violation.found':
      return `Plan ${d.plan_id} leaves ${d.count} policy violations (${(d.codes as string[]).join(', ')})`;
    case 'budget.exceeded':
      return `Monthly seat cost after plan ${d.plan_id} is $${Number(d.cost_after_usd ?? 0).toFixed(2)}, $${Number(d.over_by_usd ?? 0).toFixed(2)} over the limit of $${d.monthly_limit_usd ?? 0}`;
    case 'delivery.dead':
      return `GitHub delivery ${d.delivery_id} (${d.event}${d.action ? `.${d.action}` : ''}) was dead-lettered after ${d.attempts} attempts`;
    default:
      return 'This is a test message from CEOS: the subscription works.';
  }
}

/** The headline of a group: the org and what changed, with the count when several changes fold into one. */
function countsOf(group: readonly Notification[], counts: FoldCounts | undefined): Record<string, number> {
  if (counts) return { ...counts.byType };
  const byType: Record<string, number> = {};
  for (const n of group) byType[n.type] = (byType[n.type] ?? 0) + 1;
  return byType;
}

function headline(group: readonly Notification[], counts: FoldCounts | undefined): string {
  const org = group[0]!.org;
  const where = org ? `${org}: ` : '';
  const byType = countsOf(group, counts);
  const added = byType['seat.added'] ?? 0;
  const cancelled = byType['seat.cancelled'] ?? 0;
  if (group.every((n) => n.type === 'seat.added' || n.type === 'seat.cancelled')) {
    const parts = [added > 0 ? `${added} ${added === 1 ? 'seat' : 'seats'} added` : '', cancelled > 0 ? `${cancelled} ${cancelled === 1 ? 'seat' : 'seats'} cancelled` : ''].filter(Boolean);
    return `${where}${parts.join(', ')}`;
  }
  const titles: Record<string, string> = {
    'plan.awaiting_confirmation': 'a plan awaits confirmation',
    'plan.applied': 'a plan was applied',
    'violation.found': 'policy violations remain',
    'budget.exceeded': 'the seat budget is exceeded',
    'delivery.dead': 'a GitHub delivery was dead-lettered',
    'webhook.tested': 'test message',
  };
  return `${where}${titles[group[0]!.type] ?? group[0]!.type}`;
}

function lines(group: readonly Notification[], counts: FoldCounts | undefined): { shown: string[]; more: number } {
  const total = Object.values(countsOf(group, counts)).reduce((a, b) => a + b, 0);
  const shown = group.slice(0, CHAT_ROWS).map(row);
  return { shown, more: Math.max(0, total - shown.length) };
}

/** A Slack incoming-webhook message (Block Kit) for a group of notifications. */
export function slackBody(group: readonly Notification[], options: RenderOptions, counts?: FoldCounts): string {
  const title = `CEOS · ${headline(group, counts)}`;
  const { shown, more } = lines(group, counts);
  const link = dashboardLink(group[0]!.org, options);
  const text = [...shown, ...(more > 0 ? [`…and ${more} more`] : [])].join('\n');
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: title.slice(0, 150), emoji: false } },
    { type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 3000) } },
  ];
  if (group[0]!.data.plan_id) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `Plan ${group[0]!.data.plan_id}` }] });
  if (link) blocks.push({ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open in CEOS' }, url: link }] });
  return JSON.stringify({ text: title, blocks });
}

/** A Teams Workflows webhook message: one Adaptive Card for a group of notifications. */
export function teamsBody(group: readonly Notification[], options: RenderOptions, counts?: FoldCounts): string {
  const { shown, more } = lines(group, counts);
  const link = dashboardLink(group[0]!.org, options);
  const body: unknown[] = [
    { type: 'TextBlock', text: `CEOS · ${headline(group, counts)}`, weight: 'Bolder', size: 'Medium', wrap: true },
    ...shown.map((text) => ({ type: 'TextBlock', text, wrap: true, spacing: 'Small' })),
  ];
  if (more > 0) body.push({ type: 'TextBlock', text: `…and ${more} more`, isSubtle: true, wrap: true });
  if (group[0]!.data.plan_id) body.push({ type: 'FactSet', facts: [{ title: 'Plan', value: String(group[0]!.data.plan_id) }] });
  const card = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    body,
    ...(link ? { actions: [{ type: 'Action.OpenUrl', title: 'Open in CEOS', url: link }] } : {}),
  };
  return JSON.stringify({ type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card }] });
}

/**
 * The messages one group becomes for a format: the standard format sends each notification on its
 * own (one message per seat change); chat formats fold the group into one message (`counts` tells
 * how many it stands for when the group holds only the first rows).
 */
export function renderGroup(format: NotificationFormat, group: readonly Notification[], options: RenderOptions, counts?: FoldCounts): RenderedMessage[] {
  if (group.length === 0) return [];
  if (format === 'standard') return group.map((n) => ({ type: n.type, body: standardBody(n) }));
  const types = Object.keys(countsOf(group, counts)).filter((t) => (countsOf(group, counts)[t] ?? 0) > 0);
  const type = types.length === 1 ? types[0]! : 'seat.changed';
  return [{ type, body: format === 'slack' ? slackBody(group, options, counts) : teamsBody(group, options, counts) }];
}
