import { once } from 'node:events';
import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the receiver got. */
export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The status it was answered with. */
  status: number;
  at: number;
}

/** How the receiver answers a request: a status, and optionally how long to wait first. */
export type Answer = { status: number; delayMs?: number; location?: string };

/**
 * A real HTTP server on loopback standing in for a notification endpoint: it records every request
 * and answers as `answer` says (200 by default), so tests can make it fail, stall or redirect.
 */
export class WebhookReceiver {
  readonly requests: ReceivedRequest[] = [];
  answer: (request: { path: string; body: string; count: number }) => Answer = () => ({ status: 200 });
  private server: Server | undefined;
  private waiters: (() => void)[] = [];

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const path = req.url ?? '/';
        const count = this.requests.filter((r) => r.path === path).length + 1;
        const answer = this.answer({ path, body, count });
        const reply = () => {
          if (res.destroyed) return;
          this.requests.push({ path, headers: req.headers, body, status: answer.status, at: Date.now() });
          res.writeHead(answer.status, answer.location ? { location: answer.location } : {});
          res.end('ok');
          for (const w of this.waiters.splice(0)) w();
        };
        if (answer.delayMs) setTimeout(reply, answer.delayMs).unref();
        else reply();
      });
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return this;
  }

  /** The URL of a path on this receiver. */
  url(path = '/hook'): string {
    const { port } = this.server!.address() as AddressInfo;
    return `http://127.0.0.1:${port}${path}`;
  }

  /** Requests made to one path. */
  at(path: string): ReceivedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  /** Waits (polling on each request, with a timeout) until `condition` holds. */
  async waitFor(condition: () => boolean, timeoutMs = 15_000, what = 'the receiver to get the expected requests'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what} (${this.requests.length} requests so far)`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
