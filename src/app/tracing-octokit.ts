import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT, ATTR_URL_FULL } from '@opentelemetry/semantic-conventions';
import { recordFailure, tracer } from './tracing.js';

// Still in the semantic conventions' incubating set, which is not meant to be imported.
const ATTR_URL_TEMPLATE = 'url.template';

interface RequestOptions {
  method: string;
  url: string;
  baseUrl?: string;
  [key: string]: unknown;
}

type Request = (options: RequestOptions) => Promise<{ status: number }>;

/** The part of an Octokit instance the tracing hook is installed on. */
interface HookableOctokit {
  hook: { wrap(name: 'request', wrapper: (request: Request, options: RequestOptions) => Promise<unknown>): void };
  request: { endpoint: { parse(options: RequestOptions): { url: string } } };
}

/**
 * Gives every GitHub request of `octokit` a CLIENT span under whatever span is active (the
 * handler's or the job's): `{method} {route template}`, the route template (`/orgs/{org}/members`,
 * low in cardinality, unlike the URL), the full URL and the status. Installed last, so one span
 * covers the throttling waits and retries of one call; the token never appears (it is a header).
 */
export function traceOctokitRequests(octokit: HookableOctokit): void {
  octokit.hook.wrap('request', async (request, options) => {
    const method = options.method.toUpperCase();
    const attributes: Record<string, string | number> = { [ATTR_HTTP_REQUEST_METHOD]: method };
    let url: URL | undefined;
    try {
      url = new URL(octokit.request.endpoint.parse(options).url);
      attributes[ATTR_URL_FULL] = url.href;
      attributes[ATTR_SERVER_ADDRESS] = url.hostname;
      attributes[ATTR_SERVER_PORT] = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    } catch {
      // An unparsable URL fails in the request itself; the span still says which route.
    }
    // Paginated requests (every page) and GraphQL are sent by full URL, without a template; GraphQL
    // has one route anyway, while a page's path names an organization, so such spans keep the method alone.
    const template = options.url.startsWith('/') ? options.url : url?.pathname.endsWith('/graphql') ? '/graphql' : undefined;
    if (template) attributes[ATTR_URL_TEMPLATE] = template;
    const span = tracer().startSpan(template ? `${method} ${template}` : method, { kind: SpanKind.CLIENT, attributes });
    try {
      const response = await context.with(trace.setSpan(context.active(), span), () => request(options));
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, response.status);
      return response;
    } catch (error) {
      const status = (error as { status?: unknown }).status;
      if (typeof status === 'number' && status > 0) {
        span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
        span.setAttribute('error.type', String(status));
        span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : undefined });
      } else {
        recordFailure(span, error);
      }
      throw error;
    } finally {
      span.end();
    }
  });
}
