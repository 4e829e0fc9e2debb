import { notFound } from '../github-errors.js';
import type { RouteHandler, RouteTable } from '../route-types.js';
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

function oneDay(report: UsageReportKind): RouteHandler {
  return ({ state, params, query }) => {
    if (state.org(params.org ?? '') === undefined) return notFound();
    const day = query.get('day') ?? '';
    const links = state.usageReports.links(params.org ?? '', report, day);
    if (links === undefined) return { status: 204 };
    return { status: 200, body: { download_links: links, report_day: day } };
  };
}

function latest(report: UsageReportKind): RouteHandler {
  return ({ state, params }) => {
    if (state.org(params.org ?? '') === undefined) return notFound();
    const found = state.usageReports.latest(params.org ?? '', report);
    if (found === undefined) return notFound();
    const start = new Date(Date.parse(`${found.day}T00:00:00Z`) - 27 * DAY_MS).toISOString().slice(0, 10);
    return { status: 200, body: { download_links: found.links, report_start_day: start, report_end_day: found.day } };
  };
}
