import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One span as an OTLP/JSON export carries it, with its attributes flattened. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** Empty for a root span. */
  parentSpanId: string;
  name: string;
  /** OTLP span kind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  attributes: Record<string, string | number | boolean>;
  links: { traceId: string; spanId: string }[];
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  statusCode: number;
  /** The `service.name` of the resource that exported it. */
  serviceName: string | undefined;
  /** The instrumentation scope (tracer name). */
  scope: string;
}

/** One export request as it arrived. */
export interface ReceivedExport {
  path: string;
  contentType: string;
  body: Buffer;
}

/** A local OTLP/HTTP trace receiver: what a collector is to CEOS, on loopback. */
export interface OtlpReceiver {
  /** The endpoint to give as `OTEL_EXPORTER_OTLP_ENDPOINT` (the exporter appends `/v1/traces`). */
  url: string;
  /** Every export received, in order. */
  exports: ReceivedExport[];
  /** The spans of every JSON export received, in order. */
  spans: ReceivedSpan[];
  close(): Promise<void>;
}

type AnyValue = { stringValue?: string; intValue?: number | string; boolValue?: boolean; doubleValue?: number };
type KeyValue = { key: string; value: AnyValue };

function flatten(attributes: KeyValue[] | undefined): Record<string, string | number | boolean> {
  const flat: Record<string, string | number | boolean> = {};
  for (const { key, value } of attributes ?? []) {
    if (value.stringValue !== undefined) flat[key] = value.stringValue;
    else if (value.intValue !== undefined) flat[key] = Number(value.intValue);
    else if (value.boolValue !== undefined) flat[key] = value.boolValue;
    else if (value.doubleValue !== undefined) flat[key] = value.doubleValue;
  }
  return flat;
}

interface JsonExport {
  resourceSpans?: {
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: {
      scope?: { name?: string };
      spans?: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind: number;
        attributes?: KeyValue[];
        links?: { traceId: string; spanId: string }[];
        status?: { code?: number };
      }[];
    }[];
  }[];
}

function spansOf(request: JsonExport): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const resourceSpans of request.resourceSpans ?? []) {
    const serviceName = flatten(resourceSpans.resource?.attributes)['service.name'];
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      for (const span of scopeSpans.spans ?? []) {
        spans.push({
          traceId: span.traceId,
          spanId: span.spanId,
          parentSpanId: span.parentSpanId ?? '',
          name: span.name,
          kind: span.kind,
          attributes: flatten(span.attributes),
          links: (span.links ?? []).map((l) => ({ traceId: l.traceId, spanId: l.spanId })),
          statusCode: span.status?.code ?? 0,
          serviceName: typeof serviceName === 'string' ? serviceName : undefined,
          scope: scopeSpans.scope?.name ?? '',
        });
      }
    }
  }
  return spans;
}

/**
 * Starts a receiver on a free loopback port. It takes `POST /v1/traces` in either OTLP/HTTP
 * encoding and answers as a collector does (an empty success response in the request's encoding),
 * or refuses each with `refuseWith`; JSON exports are decoded into `spans`, protobuf ones kept raw in `exports`.
 */
export async function startOtlpReceiver(options: { refuseWith?: number } = {}): Promise<OtlpReceiver> {
  const exports: ReceivedExport[] = [];
  const spans: ReceivedSpan[] = [];
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const contentType = String(request.headers['content-type'] ?? '');
    if (request.method !== 'POST' || request.url !== '/v1/traces') {
      response.writeHead(404).end();
      return;
    }
    exports.push({ path: request.url, contentType, body });
    if (options.refuseWith !== undefined) {
      // A collector that refuses every export (e.g. 400: not retried by the exporter).
      response.writeHead(options.refuseWith, { 'content-type': 'application/json' }).end('{"code":3,"message":"refused by the test"}');
      return;
    }
    if (contentType.startsWith('application/json')) {
      spans.push(...spansOf(JSON.parse(body.toString('utf8')) as JsonExport));
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    } else {
      // An empty ExportTraceServiceResponse encodes as zero bytes.
      response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    }
  };
  const server = createServer((request, response) => {
    handle(request, response).catch(() => response.writeHead(400).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    exports,
    spans,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
