import { randomBytes, randomUUID } from 'node:crypto';

/** The Copilot usage metrics reports GitHub publishes per organization. */
export type UsageReportKind =
  | 'organization-1-day'
  | 'users-1-day'
  | 'repos-1-day'
  | 'user-teams-1-day'
  | 'organization-28-day'
  | 'users-28-day';

/** A report to seed: its records become the NDJSON files behind the download links. */
export interface UsageReportInit {
  /** Organization login. */
  org: string;
  /** Which report. */
  report: UsageReportKind;
  /** `YYYY-MM-DD`: the report's day (1-day reports) or last day (28-day reports). */
  day: string;
  /** Report records, one NDJSON line each; null for a day GitHub answers without download links. */
  records: unknown[] | null;
  /** Files the records are split across, one download link each (GitHub splits large reports); 1 when omitted. */
  files?: number;
  /**
   * Lines written at download time instead of `records` (which are then ignored): file `index`'s
   * NDJSON lines, produced as the response is written, so a benchmark's large reports are never
   * held in memory.
   */
  generate?: (index: number) => Iterable<string>;
}

/** Why the fake refuses an organization's reports: the metrics policy off, the permission missing. */
export interface UsageAccessDenial {
  status: 403 | 404 | 422;
  message: string;
}

type StoredFile = { kind: 'text'; text: string } | { kind: 'generated'; generate: () => Iterable<string> };

/** How long a download link stays valid, like GitHub's signed URLs. */
export const USAGE_LINK_TTL_MS = 60 * 60 * 1000;

/** What the file host answers for a download link. */
export type DownloadAnswer =
  | { status: number; contentType: string; body: string }
  | { status: 200; contentType: string; lines: Iterable<string> };

/**
 * Seeded reports and the files their download links serve. Links are minted per report call,
 * signed and expiring like the real ones (`?se=<expiry>&sig=<signature>`): the file host refuses
 * an expired or unknown signature with 403, as a signed-URL host does.
 */
export class UsageReports {
  private readonly reports = new Map<string, Map<string, string[] | null>>();
  private readonly files = new Map<string, StoredFile>();
  private readonly signatures = new Map<string, { file: string; expiresAt: number }>();
  private readonly expireNext = new Map<string, number>();
  private readonly denials = new Map<string, UsageAccessDenial>();

  /** Seeds a report (replacing that day's). */
  put(init: UsageReportInit): void {
    const key = `${init.org.toLowerCase()}:${init.report}`;
    const days = this.reports.get(key) ?? new Map<string, string[] | null>();
    if (init.records === null && init.generate === undefined) {
      days.set(init.day, null);
    } else {
      const count = Math.max(1, init.files ?? 1);
      const ids: string[] = [];
      for (let index = 0; index < count; index++) {
        const id = randomUUID();
        if (init.generate) {
          const generate = init.generate;
          this.files.set(id, { kind: 'generated', generate: () => generate(index) });
        } else {
          const records = init.records ?? [];
          const size = Math.ceil(records.length / count);
          const slice = records.slice(index * size, (index + 1) * size);
          this.files.set(id, { kind: 'text', text: slice.map((r) => JSON.stringify(r)).join('\n') + (slice.length > 0 ? '\n' : '') });
        }
        ids.push(id);
      }
      days.set(init.day, ids);
    }
    this.reports.set(key, days);
  }

  /** The next `times` report calls for this day answer links that have already expired. */
  expireLinks(org: string, report: UsageReportKind, day: string, times = 1): void {
    this.expireNext.set(`${org.toLowerCase()}:${report}:${day}`, times);
  }

  /** Refuses every report call of the organization (null: serves them again). */
  deny(org: string, denial: UsageAccessDenial | null): void {
    if (denial === null) this.denials.delete(org.toLowerCase());
    else this.denials.set(org.toLowerCase(), denial);
  }

  /** Why the organization's reports are refused, if they are. */
  denial(org: string): UsageAccessDenial | undefined {
    return this.denials.get(org.toLowerCase());
  }

  /**
   * Mints download links for a day's report: undefined when GitHub has no report for that day
   * (204), [] when it has one without links. `downloadBase` is `http://127.0.0.1:PORT/downloads`.
   */
  links(org: string, report: UsageReportKind, day: string, downloadBase: string, now: Date): string[] | undefined {
    const ids = this.reports.get(`${org.toLowerCase()}:${report}`)?.get(day);
    if (ids === undefined) return undefined;
    if (ids === null) return [];
    const expireKey = `${org.toLowerCase()}:${report}:${day}`;
    const expired = (this.expireNext.get(expireKey) ?? 0) > 0;
    if (expired) this.expireNext.set(expireKey, this.expireNext.get(expireKey)! - 1);
    const expiresAt = expired ? now.getTime() - 60_000 : now.getTime() + USAGE_LINK_TTL_MS;
    return ids.map((id) => {
      const sig = randomBytes(16).toString('hex');
      this.signatures.set(sig, { file: id, expiresAt });
      return `${downloadBase}/copilot-metrics/${id}.ndjson?se=${encodeURIComponent(new Date(expiresAt).toISOString())}&sp=r&sig=${sig}`;
    });
  }

  /** The newest seeded day of a report and freshly minted links to it. */
  latest(org: string, report: UsageReportKind, downloadBase: string, now: Date): { day: string; links: string[] } | undefined {
    const days = this.reports.get(`${org.toLowerCase()}:${report}`);
    if (days === undefined || days.size === 0) return undefined;
    const day = [...days.keys()].sort().at(-1)!;
    return { day, links: this.links(org, report, day, downloadBase, now) ?? [] };
  }

  /** What the file host answers for a file id and the link's query, at `now`. */
  download(fileId: string, query: URLSearchParams, now: Date): DownloadAnswer {
    const xml = (code: string, message: string) =>
      `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}\nRequestId:${randomUUID()}\nTime:${now.toISOString()}</Message></Error>`;
    const signed = this.signatures.get(query.get('sig') ?? '');
    if (signed === undefined || signed.file !== fileId) {
      return { status: 403, contentType: 'application/xml', body: xml('AuthenticationFailed', 'Server failed to authenticate the request. Make sure the value of the signature is formed correctly.') };
    }
    if (now.getTime() > signed.expiresAt) {
      return { status: 403, contentType: 'application/xml', body: xml('AuthenticationFailed', 'Signed expiry time must be after the current time: the link has expired.') };
    }
    const file = this.files.get(fileId);
    if (file === undefined) return { status: 404, contentType: 'application/xml', body: xml('BlobNotFound', 'The specified blob does not exist.') };
    if (file.kind === 'text') return { status: 200, contentType: 'application/x-ndjson', lines: [file.text] };
    return { status: 200, contentType: 'application/x-ndjson', lines: withNewlines(file.generate()) };
  }
}

function* withNewlines(lines: Iterable<string>): Iterable<string> {
  for (const line of lines) yield `${line}\n`;
}
