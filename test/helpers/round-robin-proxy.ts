import { type IncomingMessage, type ServerResponse, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A load balancer over loopback, as several instances stand behind one in production. */
export interface RoundRobinProxy {
  /** Base URL of the proxy. */
  url: string;
  /** Base URLs it forwards to, in turn; a target that refuses a connection is dropped. */
  targets: string[];
  /** Requests forwarded, by target. */
  forwarded: Map<string, number>;
  close(): Promise<void>;
}

/**
 * Starts a round-robin HTTP proxy on 127.0.0.1 in front of `targets`. Each request goes to the next
 * target; one whose connection fails (a killed instance) is dropped from the rotation and the request
 * is answered 502, as a load balancer does: the sender must not take it as accepted.
 */
export async function startRoundRobinProxy(targets: string[]): Promise<RoundRobinProxy> {
  const live = [...targets];
  const forwarded = new Map<string, number>();
  let next = 0;
  const server = createServer((incoming: IncomingMessage, outgoing: ServerResponse) => {
    if (live.length === 0) {
      outgoing.writeHead(503).end();
      return;
    }
    const target = live[next++ % live.length]!;
    const { hostname, port } = new URL(target);
    const upstream = request(
      { host: hostname, port, method: incoming.method, path: incoming.url, headers: incoming.headers },
      (answer) => {
        forwarded.set(target, (forwarded.get(target) ?? 0) + 1);
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    upstream.on('error', () => {
      const index = live.indexOf(target);
      if (index >= 0) live.splice(index, 1);
      if (!outgoing.headersSent) outgoing.writeHead(502).end();
      else outgoing.destroy();
    });
    incoming.pipe(upstream);
  });
  // Keep-alive sockets to a dead target would fail later requests; one request per connection.
  server.keepAliveTimeout = 1;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    targets: live,
    forwarded,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
