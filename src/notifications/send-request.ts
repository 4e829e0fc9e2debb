import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { ResolvedTarget } from './target-safety.js';

/** What came of one request: a status, or why none came. */
export type SendOutcome = { status: number; error: null } | { status: null; error: string };

/** Bytes of an answer read before the rest is dropped: nothing in it is used but its status. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * POSTs `body` to `url`, connecting to the checked `target` address (the URL's host still names
 * the TLS server and the Host header). Redirects are not followed: a 3xx is an answer like any
 * other non-2xx. The whole exchange has `timeoutMs`.
 */
export function sendRequest(url: URL, target: ResolvedTarget, headers: Record<string, string>, body: string, timeoutMs: number): Promise<SendOutcome> {
  const pinned: LookupFunction = (_hostname, options, callback) => {
    if ((options as { all?: boolean }).all) (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const done = (outcome: SendOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const request = client.request(
      url,
      {
        method: 'POST',
        lookup: pinned,
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'CEOS-Notifications/1', ...headers },
      },
      (response) => {
        let read = 0;
        response.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_ANSWER_BYTES) response.destroy();
        });
        response.on('end', () => done({ status: response.statusCode ?? 0, error: null }));
        response.on('close', () => done({ status: response.statusCode ?? 0, error: null }));
        response.on('error', () => done({ status: response.statusCode ?? 0, error: null }));
      },
    );
    const timer = setTimeout(() => {
      request.destroy();
      done({ status: null, error: `no answer within ${timeoutMs} ms` });
    }, timeoutMs);
    request.on('error', (error: NodeJS.ErrnoException) => done({ status: null, error: `request failed: ${error.code ?? error.message}` }));
    request.end(body);
  });
}
