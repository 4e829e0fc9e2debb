import { html } from '../html.js';
import type { OrgSummary } from '../org-overview.js';
import { count, percent, usd } from './format.js';
import { type PageContext, layout } from './layout.js';

/** The signed-in home page: every organization the session may see, with seats, monthly cost and utilization. */
export function homePage(ctx: PageContext, orgs: readonly OrgSummary[]): string {
  const totalSeats = orgs.reduce((s, o) => s + o.held, 0);
  const totalCost = Math.round(orgs.reduce((s, o) => s + o.monthlyCostUsd * 100, 0)) / 100;
  const body = html`<h1>Organizations</h1>
${
  orgs.length === 0
    ? html`<section class="card"><p>No organization this session may see has CEOS installed yet.</p></section>`
    : html`<ul class="figures" aria-label="Totals">
  <li><span class="value" data-total-seats="${totalSeats}">${count(totalSeats)}</span><span class="label">seats held in ${count(orgs.length)} ${orgs.length === 1 ? 'organization' : 'organizations'}</span></li>
  <li><span class="value">${usd(totalCost)}</span><span class="label">a month for those seats</span></li>
</ul>
<section class="card" aria-labelledby="orgs-title">
<h2 id="orgs-title">Seats, cost and utilization</h2>
<div class="table-wrap">
<table id="orgs">
<thead><tr><th scope="col">Organization</th><th scope="col" class="num">Seats held</th><th scope="col" class="num">Monthly cost</th><th scope="col" class="num">Utilization</th><th scope="col" class="num">Inactive</th></tr></thead>
<tbody>
${orgs.map(
  (o) => html`<tr data-org="${o.org}">
  <th scope="row"><a href="/orgs/${o.login}">${o.login}</a>${o.status !== 'active' ? html` <span class="warn">(${o.status})</span>` : ''}</th>
  <td class="num" data-seats="${o.held}">${count(o.held)}</td>
  <td class="num" data-cost="${o.monthlyCostUsd}">${usd(o.monthlyCostUsd)}</td>
  <td class="num">${percent(o.utilizationPercent)}</td>
  <td class="num">${count(o.inactive)}</td>
</tr>`,
)}
</tbody>
</table>
</div>
<p class="muted">Utilization is the share of seats used within each organization's inactivity threshold (its policy's <code>inactivity.revoke_after_days</code>, else 30 days). Cost is seats × the policy's <code>budget.seat_price_usd</code>, else 19 USD (Business) or 39 USD (Enterprise) a seat: seat cost only, since AI-credit usage cannot be read by a GitHub App.</p>
</section>`
}`;
  return layout(ctx, 'Organizations', body);
}
