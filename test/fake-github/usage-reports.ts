import { randomUUID } from 'node:crypto';

/** The Copilot usage metrics reports GitHub publishes per organization. */
export type UsageReportKind =
  | 'organization-1-day'
  | 'users-1-day'
  | 'repos-1-day'
  | 'user-teams-1-day'
  | 'organization-28-day'
  | 'users-28-day';

/** A report to seed: its records become the NDJSON file behind the download link. */
export interface UsageReportInit {
  /** Organization login. */
  org: string;
  /** Which report. */
  report: UsageReportKind;
  /** `YYYY-MM-DD`: the report's day (1-day reports) or last day (28-day reports). */
  day: string;
  /** Report records, one NDJSON line each; null for a day GitHub has a report for but no download links. */
  records: unknown[] | null;
}

/** Seeded reports and the files their download links serve. */
export class UsageReports {
  private readonly reports = new Map<string, Map<string, string[]>>();
  private readonly files = new Map<string, string>();

  /** Seeds a report; `downloadBase` is where the fake serves files (`http://127.0.0.1:PORT/downloads`). */
  put(init: UsageReportInit, downloadBase: string): void {
    const key = `${init.org.toLowerCase()}:${init.report}`;
    const days = this.reports.get(key) ?? new Map<string, string[]>();
    const links: string[] = [];
    if (init.records !== null) {
      const id = randomUUID();
      this.files.set(id, init.records.map((record) => JSON.stringify(record)).join('\n') + (init.records.length > 0 ? '\n' : ''));
      links.push(`${downloadBase}/copilot-metrics/${id}.ndjson`);
    }
    days.set(init.day, links);
    this.reports.set(key, days);
  }

  /** Download links of a day's report, or undefined when GitHub has no report for that day. */
  links(org: string, report: UsageReportKind, day: string): string[] | undefined {
    return this.reports.get(`${org.toLowerCase()}:${report}`)?.get(day);
  }

  /** The newest seeded day of a report and its links. */
  latest(org: string, report: UsageReportKind): { day: string; links: string[] } | undefined {
    const days = this.reports.get(`${org.toLowerCase()}:${report}`);
    if (days === undefined || days.size === 0) return undefined;
    const day = [...days.keys()].sort().at(-1)!;
    return { day, links: days.get(day)! };
  }

  /** The NDJSON behind a download link's file id. */
  file(id: string): string | undefined {
    return this.files.get(id);
  }
}
