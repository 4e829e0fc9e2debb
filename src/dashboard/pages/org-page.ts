import { API_PREFIX } from '../../api/api-plugin.js';
import { PENDING_REQUEST_ROWS } from '../dashboard-reads.js';
import { type SafeHtml, html, jsonScript } from '../html.js';
import type { OrgPageData } from '../org-overview.js';
import type { SeatSeries, UsageChartSeries } from '../seat-series.js';
import { count, percent, usd, when } from './format.js';
import { type PageContext, layout } from './layout.js';

/** What the session may do on the page, from the same role permissions as the API. */
export interface OrgPageRights {
  /** Confirm held plans, approve and decline seat requests (`operate`: operator, admin). */
  operate: boolean;
  /** Read the audit log and deliveries (`read_sensitive`: auditor, operator, admin). */
  readSensitive: boolean;
}

function chartSpec(series: SeatSeries | UsageChartSeries, unit: string, lines: { label: string; color: string; values: readonly (number | null)[] }[]) {
  return {
    unit,
    x: series.days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000),
    series: lines.map((l) => ({ label: l.label, color: l.color })),
    y: lines.map((l) => l.values),
  };
}

function chart(id: string, title: string, description: string, spec: unknown): SafeHtml {
  return html`<figure class="card chart-card">
<h3 id="${id}-title">${title}</h3>
<div class="chart" id="${id}" data-chart="${id}-data" role="img" aria-labelledby="${id}-title" aria-describedby="${id}-desc"></div>
<figcaption id="${id}-desc" class="muted">${description}</figcaption>
${jsonScript(`${id}-data`, spec)}
</figure>`;
}

function charts(data: OrgPageData): SafeHtml {
  const s = data.series;
  if (s.days.length === 0) {
    return html`<section class="card" aria-labelledby="charts-title"><h2 id="charts-title">Over time</h2><p>No seat snapshots yet: CEOS takes one a day, and the charts start with the first.</p></section>`;
  }
  const last = s.days.length - 1;
  return html`<section aria-labelledby="charts-title" data-chart-days="${s.days.length}" data-first-day="${s.days[0]}" data-last-day="${s.days[last]}">
<h2 id="charts-title">Over time: ${s.days[0]} to ${s.days[last]} (${count(s.days.length)} days)</h2>
<div class="grid">
${chart('chart-seats', 'Seats held and used', 'Seats held each day, and of them the seats used in the 30 days before.', chartSpec(s, 'seats', [
  { label: 'Held', color: '#0550ae', values: s.total },
  { label: 'Used in 30 days', color: '#1a7f37', values: s.active30 },
]))}
${chart('chart-utilization', 'Utilization', 'Seats used in the last 30 days, as a percentage of seats held, each day.', chartSpec(s, '%', [
  { label: 'Utilization', color: '#8250df', values: s.utilizationPercent },
]))}
${chart('chart-cost', 'Monthly cost', 'What the seats held each day cost a month, in USD (seats × price by plan).', chartSpec(s, 'USD', [
  { label: 'Monthly cost', color: '#9a6700', values: s.monthlyCostUsd },
]))}
${usageChart(data.usage)}
</div>
<details class="card numbers"><summary>The numbers behind the charts</summary>
<div class="table-wrap"><table id="series-table">
<thead><tr><th scope="col">Day</th><th scope="col" class="num">Held</th><th scope="col" class="num">Used in 30 days</th><th scope="col" class="num">Used in 7 days</th><th scope="col" class="num">Utilization</th><th scope="col" class="num">Monthly cost</th></tr></thead>
<tbody>
${s.days
  .map((day, i) => ({ day, i }))
  .reverse()
  .map(
    ({ day, i }) =>
      html`<tr data-day="${day}"><th scope="row">${day}</th><td class="num">${s.total[i]}</td><td class="num">${s.active30[i]}</td><td class="num">${s.active7[i]}</td><td class="num">${percent(s.utilizationPercent[i] ?? null)}</td><td class="num">${usd(s.monthlyCostUsd[i] ?? 0)}</td></tr>`,
  )}
</tbody></table></div>
</details>
</section>`;
}

function usageChart(u: UsageChartSeries): SafeHtml {
  if (u.days.length === 0) return html`<section class="card"><h3>Copilot use</h3><p id="usage-empty">No usage report collected yet.</p></section>`;
  return chart('chart-usage', 'Copilot use', `People who used Copilot each day, from GitHub's daily usage reports${u.noDataDays > 0 ? `; ${u.noDataDays} ${u.noDataDays === 1 ? 'day without data is a gap, not a zero' : 'days without data are gaps, not zeros'}` : ''}.`, chartSpec(u, 'count', [
    { label: 'Active users', color: '#0550ae', values: u.activeUsers },
  ]));
}

function forecast(data: OrgPageData): SafeHtml {
  const f = data.forecast;
  if (f.status !== 'ok') return html`<p id="forecast">Forecast: ${f.message}.</p>`;
  const method = f.method === 'holt' ? "Holt's linear method" : 'least squares';
  return html`<p id="forecast">Forecast (${method} on ${count(f.historyDays)} days; backtest on the last ${count(f.holdoutDays)} days: mean error ${f.backtest.mae} seats${f.backtest.mape === null ? '' : `, ${f.backtest.mape} %`}):
${f.points.map((p, i) => html`${i > 0 ? '; ' : ''}in ${p.days} days (${p.day}) ${p.seats} seats, ${usd(p.monthlyCostUsd)} a month`)}.</p>`;
}

function figures(data: OrgPageData): SafeHtml {
  const s = data.summary;
  return html`<ul class="figures" aria-label="Seats now">
<li><span class="value" id="seats-held" data-value="${s.held}">${count(s.held)}</span><span class="label">seats held</span></li>
<li><span class="value" id="utilization" data-value="${s.utilizationPercent ?? ''}">${percent(s.utilizationPercent)}</span><span class="label">utilization (${count(s.active)} used within ${s.inactiveAfterDays} days)</span></li>
<li><span class="value" id="monthly-cost" data-value="${s.monthlyCostUsd}">${usd(s.monthlyCostUsd)}</span><span class="label">a month: ${s.costArithmetic}</span></li>
<li><span class="value" id="wasted" data-value="${s.wastedUsd}">${usd(s.wastedUsd)}</span><span class="label">a month on ${count(s.inactive)} inactive ${s.inactive === 1 ? 'seat' : 'seats'}</span></li>
<li><span class="value">${count(s.pendingCancellation)}</span><span class="label">pending cancellation</span></li>
</ul>`;
}

function inactiveTable(data: OrgPageData): SafeHtml {
  const rows = data.inactiveSeats;
  return html`<section class="card" aria-labelledby="inactive-title">
<h2 id="inactive-title">Inactive seats (${count(data.summary.inactive)})</h2>
<p class="muted">Idle for more than ${data.summary.inactiveAfterDays} days since their last use, or since they were assigned when never used; the longest idle first${data.summary.inactive > rows.length ? `, the first ${rows.length}` : ''}.</p>
${
  rows.length === 0
    ? html`<p>None: every seat was used within ${data.summary.inactiveAfterDays} days.</p>`
    : html`<div class="table-wrap"><table id="inactive-seats">
<thead><tr><th scope="col">Login</th><th scope="col" class="num">Days idle</th><th scope="col">Last used</th><th scope="col">Assigned through</th><th scope="col">Pending cancellation</th></tr></thead>
<tbody>${rows.map((r) => html`<tr><th scope="row">${r.login}</th><td class="num">${r.idleDays}</td><td>${r.lastActivityAt ? when(r.lastActivityAt) : 'never'}</td><td>${r.assigningTeam ? `team ${r.assigningTeam}` : 'directly'}</td><td>${r.pendingCancellation ?? '–'}</td></tr>`)}</tbody>
</table></div>`
}
</section>`;
}

function teamsTable(data: OrgPageData): SafeHtml {
  return html`<section class="card" aria-labelledby="teams-title">
<h2 id="teams-title">Teams by utilization</h2>
${
  data.teams.length === 0
    ? html`<p>No team's members hold a seat.</p>`
    : html`<p class="muted">Seats held by members of each team or of its child teams; lowest utilization first.</p><div class="table-wrap"><table id="teams">
<thead><tr><th scope="col">Team</th><th scope="col" class="num">Seats</th><th scope="col" class="num">Used</th><th scope="col" class="num">Utilization</th><th scope="col" class="num">Monthly cost</th><th scope="col" class="num">On inactive seats</th></tr></thead>
<tbody>${data.teams.map((t) => html`<tr data-team="${t.slug}"><th scope="row">${t.slug}</th><td class="num">${t.held}</td><td class="num">${t.active}</td><td class="num">${percent(t.percent)}</td><td class="num">${usd(t.monthlyCostUsd)}</td><td class="num">${usd(t.wastedUsd)}</td></tr>`)}</tbody>
</table></div>`
}
</section>`;
}

function requests(data: OrgPageData, rights: OrgPageRights): SafeHtml {
  const org = data.summary.login;
  const rows = data.pendingRequests;
  return html`<section class="card" aria-labelledby="requests-title">
<h2 id="requests-title">Pending seat requests (${count(rows.length)}${rows.length >= PENDING_REQUEST_ROWS ? ' or more' : ''})</h2>
${
  rows.length === 0
    ? html`<p>None: nobody is waiting for a seat (people ask with <code>/copilot request</code>).</p>`
    : html`<ul id="pending-requests">${rows.map(
        (r) => html`<li data-request="${r.id}" data-login="${r.login}"><p><strong>${r.login}</strong> asked ${when(r.created_at)}${r.reason ? html`: “${r.reason}”` : ', giving no reason'}.</p>
${
  rights.operate
    ? html`<form class="decide" data-request-form="${r.id}" data-approve="${API_PREFIX}/orgs/${org}/requests/${r.id}/approve" data-decline="${API_PREFIX}/orgs/${org}/requests/${r.id}/decline">
<div class="fields"><div><label for="days-${r.id}">For days <span class="muted">(optional: the grant then expires)</span></label><input type="number" id="days-${r.id}" name="expires_in_days" min="1" max="365" inputmode="numeric"></div>
<div><label for="reason-${r.id}">Reason <span class="muted">(optional)</span></label><input type="text" id="reason-${r.id}" name="reason" maxlength="500"></div></div>
<div class="actions"><button type="submit" value="approve" aria-label="Approve ${r.login}'s request" aria-describedby="request-status-${r.id}">Approve</button> <button type="submit" value="decline" class="secondary" aria-label="Decline ${r.login}'s request" aria-describedby="request-status-${r.id}">Decline</button></div>
<p class="status" id="request-status-${r.id}" role="status" aria-live="polite"></p>
</form>`
    : ''
}</li>`,
      )}</ul>${rights.operate ? '' : html`<p class="muted">An operator or admin may approve or decline them.</p>`}`
}
</section>`;
}

function plans(data: OrgPageData, rights: OrgPageRights): SafeHtml {
  const org = data.summary.login;
  return html`<section class="card" aria-labelledby="held-title">
<h2 id="held-title">Plans awaiting confirmation</h2>
${
  data.heldPlans.length === 0
    ? html`<p>None: no plan holds cancellations over the safeguard.</p>`
    : html`<ul id="held-plans">${data.heldPlans.map(
        (p) => html`<li data-plan="${p.id}"><p>Plan <code>${p.id}</code> of ${when(p.created_at)} holds ${count(p.held)} ${p.held === 1 ? 'cancellation' : 'cancellations'}.</p>
${
  rights.operate
    ? html`<form method="post" action="${API_PREFIX}/orgs/${org}/plans/${p.id}/confirm" data-confirm-plan="${p.id}">
<button type="submit" aria-describedby="status-${p.id}">Confirm ${count(p.held)} ${p.held === 1 ? 'cancellation' : 'cancellations'}</button>
<p class="status" id="status-${p.id}" role="status" aria-live="polite"></p>
</form>`
    : html`<p class="muted">An operator or admin may confirm it.</p>`
}</li>`,
      )}</ul>`
}
</section>
<section class="card" aria-labelledby="plans-title">
<h2 id="plans-title">Recent plans</h2>
${
  data.recentPlans.length === 0
    ? html`<p>No plan yet.</p>`
    : html`<div class="table-wrap"><table id="recent-plans">
<thead><tr><th scope="col">Created</th><th scope="col">Status</th><th scope="col">Trigger</th><th scope="col" class="num">Adds</th><th scope="col" class="num">Cancels</th><th scope="col" class="num">Violations</th></tr></thead>
<tbody>${data.recentPlans.slice(0, 10).map((p) => html`<tr><td>${when(p.created_at)}</td><td>${p.status}</td><td>${p.trigger}</td><td class="num">${p.adds}</td><td class="num">${p.cancels}</td><td class="num">${p.violations}</td></tr>`)}</tbody>
</table></div>`
}
</section>`;
}

function audit(data: OrgPageData): SafeHtml {
  if (data.audit === null) return html``;
  return html`<section class="card" aria-labelledby="audit-title">
<h2 id="audit-title">Recent audit entries</h2>
${
  data.audit.length === 0
    ? html`<p>No entry yet.</p>`
    : html`<div class="table-wrap"><table id="audit">
<thead><tr><th scope="col">When</th><th scope="col">Actor</th><th scope="col">Action</th><th scope="col">Target</th><th scope="col">Reason</th></tr></thead>
<tbody>${data.audit.map((a) => html`<tr><td>${when(a.created_at)}</td><td>${a.actor}</td><td>${a.action}</td><td>${a.target ?? '–'}</td><td>${a.reason}</td></tr>`)}</tbody>
</table></div>`
}
</section>`;
}

function status(data: OrgPageData): SafeHtml {
  const p = data.policy;
  const policyLine = !p
    ? html`<p id="policy-status" class="warn">No policy has been read yet.</p>`
    : p.errors && p.errors.length > 0
      ? html`<p id="policy-status" class="bad">The policy file is invalid (${count(p.errors.length)} ${p.errors.length === 1 ? 'problem' : 'problems'}); CEOS changes no seat until it is fixed. Read ${when(p.loadedAt)}.</p>`
      : p.policy
        ? html`<p id="policy-status" class="ok">Policy in force: ${p.policy.mode} mode${p.sha ? html`, commit <code>${p.sha.slice(0, 7)}</code>` : ''}, read ${when(p.loadedAt)}.</p>`
        : html`<p id="policy-status" class="warn">No policy file: CEOS only reports.</p>`;
  const c = data.collection;
  const usageLine =
    c.status === 'ok'
      ? html`<p id="usage-status" class="ok">Usage metrics are collected daily.</p>`
      : c.status === 'unavailable'
        ? html`<p id="usage-status" class="bad">Usage metrics cannot be collected (GitHub answered ${c.httpStatus ?? '?'}: ${c.message ?? 'no message'}).</p>`
        : html`<p id="usage-status" class="muted">Usage metrics have not been collected yet.</p>`;
  const d = data.deliveries;
  return html`<section class="card" aria-labelledby="status-title">
<h2 id="status-title">Policy and health</h2>
${policyLine}
${usageLine}
${
  d === null
    ? ''
    : html`<h3>Webhook deliveries</h3>
<p id="delivery-health" data-failed="${d.failed}" data-dead="${d.dead}" class="${d.dead > 0 ? 'bad' : d.failed > 0 ? 'warn' : 'ok'}">${count(d.failed)} failed (to be retried), ${count(d.dead)} dead (out of attempts; replay them through the API or <code>ceos deliveries</code>).</p>
${
  d.latest.length === 0
    ? ''
    : html`<div class="table-wrap"><table id="deliveries"><thead><tr><th scope="col">Received</th><th scope="col">Event</th><th scope="col">Status</th><th scope="col" class="num">Attempts</th><th scope="col">Last error</th></tr></thead>
<tbody>${d.latest.map((x) => html`<tr><td>${when(x.received_at)}</td><td>${x.event}</td><td>${x.status}</td><td class="num">${x.attempts}</td><td>${x.last_error ?? '–'}</td></tr>`)}</tbody></table></div>`
}`
}
</section>`;
}

/** The organization page. */
export function orgPage(ctx: PageContext, data: OrgPageData, rights: OrgPageRights): string {
  const s = data.summary;
  const body = html`<p><a href="/">All organizations</a></p>
<h1>${s.login}${s.status !== 'active' ? html` <span class="warn">(installation ${s.status})</span>` : ''}</h1>
${figures(data)}
${forecast(data)}
${charts(data)}
${inactiveTable(data)}
${teamsTable(data)}
${requests(data, rights)}
${plans(data, rights)}
${audit(data)}
${status(data)}`;
  return layout(ctx, s.login, body, { charts: true });
}
