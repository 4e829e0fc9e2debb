/** One page of a page-numbered list, with GitHub's `Link` header. */
export interface PageSlice {
  /** Index of the first item on the page. */
  start: number;
  /** Index after the last item on the page. */
  end: number;
  /** `Link` header value, absent when everything fits on one page. */
  link: string | undefined;
}

/**
 * Pages like GitHub's REST API: `page` from 1, `per_page` capped at 100, and a `Link` header
 * with absolute URLs for next/last (and prev/first after page 1) that keeps the other query parameters.
 */
export function pageSlice(total: number, query: URLSearchParams, url: string, defaultPerPage: number): PageSlice {
  const perPage = clamp(parsePositive(query.get('per_page')) ?? defaultPerPage, 1, 100);
  const page = parsePositive(query.get('page')) ?? 1;
  const lastPage = Math.max(1, Math.ceil(total / perPage));
  const start = Math.min((page - 1) * perPage, total);
  const end = Math.min(start + perPage, total);
  const links: string[] = [];
  const at = (target: number): string => {
    const params = new URLSearchParams(query);
    params.set('per_page', String(perPage));
    params.set('page', String(target));
    return `<${url}?${params.toString()}>`;
  };
  if (page > 1) links.push(`${at(Math.min(page - 1, lastPage))}; rel="prev"`);
  if (page < lastPage) links.push(`${at(page + 1)}; rel="next"`, `${at(lastPage)}; rel="last"`);
  if (page > 1) links.push(`${at(1)}; rel="first"`);
  return { start, end, link: links.length > 0 ? links.join(', ') : undefined };
}

function parsePositive(value: string | null): number | undefined {
  if (value === null) return undefined;
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/** Response headers for a page: the `Link` header when there is more than one page. */
export function linkHeaders(page: PageSlice): Record<string, string> {
  return page.link === undefined ? {} : { link: page.link };
}
