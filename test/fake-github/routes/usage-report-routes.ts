import { errorResult, notFound } from '../github-errors.js';
import type { RouteContext, RouteHandler, RouteResult, RouteTable } from '../route-types.js';
import type { UsageReportKind } from '../usage-reports.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Copilot usage metrics reports: links to NDJSON files, 204 for a day without a report. */
export const usageReportRoutes: RouteTable = {
  'copilot/copilot-organization-one-day-usage-metrics': oneDay('organization-1-day'),
  'copilot/copilot-organization-users-one-day-usage-metrics': oneDay('users-1-day'),
  'copilot/copilot-organization-repos-one-day-report': oneDay('repos-1-day'),
  'copilot/copilot-organization-user-teams-one-day-report': oneDay('user-teams-1-day'),
  'copilot/copilot-organization-usage-metrics': latest('organization-28-day'),
  'copilot/copilot-organization-users-usage-metrics': latest('users-28-day'),
};

function downloadBase(apiUrl: string): string {
  return apiUrl.replace(/\/api\/v3$/, '/downloads');
}

/**
 * Like GitHub: an installation without the "Organization Copilot metrics" permission gets 403
 * "Resource not accessible by integration"; an organization whose metrics policy is off answers
 * what `deny` seeded (403 or 422 with GitHub's message).
 */
function refusal({ state, params, caller }: RouteContext): RouteResult | undefined {
  if (state.org(params.org ?? '') === undefined) return notFound();
  if (caller.kind === 'installation' && caller.installation.permissions.organization_copilot_metrics === undefined) {
    return errorResult(403, 'Resource not accessible by integration');
  }
  const denial = state.usageReports.denial(params.org ?? '');
  return denial ? errorResult(denial.status, denial.message) : undefined;
}

function oneDay(report: UsageReportKind): RouteHandler {
  return (context) => {
    const refused = refusal(context);
    if (refused) return refused;
    const { state, params, query, now, apiUrl } = context;
    const day = query.get('day') ?? '';
    const links = state.usageReports.links(params.org ?? '', report, day, downloadBase(apiUrl), now);
    if (links === undefined) return { status: 204 };
    return { status: 200, body: { download_links: links, report_day: day } };
  };
}

function latest(report: UsageReportKind): RouteHandler {
  return (context) => {
    const refused = refusal(context);
    if (refused) return refused;
    const { state, params, now, apiUrl } = context;
    const found = state.usageReports.latest(params.org ?? '', report, downloadBase(apiUrl), now);
    if (found === undefined) return notFound();
    const start = new Date(Date.parse(`${found.day}T00:00:00Z`) - 27 * DAY_MS).toISOString().slice(0, 10);
    return { status: 200, body: { download_links: found.links, report_start_day: start, report_end_day: found.day } };
  };
}
