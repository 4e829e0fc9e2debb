import pg from 'pg';
import type { Logger } from 'pino';

/** Delays between reconnection attempts of the LISTEN connection. */
export interface ReconnectBackoff {
  initialMs: number;
  maxMs: number;
}

/** Whether the LISTEN connection is up, and how often it had to be re-established. */
export interface ListenerState {
  connected: boolean;
  reconnects: number;
}

const HEARTBEAT_INTERVAL_MS = 30_000;
const HEARTBEAT_TIMEOUT_MS = 10_000;

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * One dedicated PostgreSQL connection that LISTENs on every subscribed channel. When it is lost
 * (a terminated backend, a restart, a failover, a silent network drop found by the heartbeat) it
 * reconnects with exponential backoff and LISTENs on every channel again; subscribers are then
 * called once, since notifications sent meanwhile were missed. It never throws for a lost
 * connection: workers keep polling until it is back.
 */
export class NotificationListener {
  readonly #channels = new Map<string, Set<(payload: string) => void>>();
  #client: pg.Client | undefined;
  #connecting: Promise<void> | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #attempt = 0;
  #everConnected = false;
  #reconnects = 0;
  #closed = false;

  constructor(
    private readonly clientConfig: pg.ClientConfig,
    private readonly log: Logger,
    private readonly backoff: ReconnectBackoff = { initialMs: 250, maxMs: 30_000 },
  ) {}

  /** Calls `onNotify` for every NOTIFY on `channel`; resolves to the function that stops it. */
  async subscribe(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>> {
    const existing = this.#channels.get(channel);
    const handlers = existing ?? new Set<(payload: string) => void>();
    handlers.add(onNotify);
    if (!existing) this.#channels.set(channel, handlers);
    if (!this.#client && !this.#connecting && !this.#reconnectTimer) await this.#tryConnect();
    else if (this.#connecting) await this.#connecting;
    // A connection made before this channel existed does not listen on it yet (LISTEN is idempotent).
    if (!existing && this.#client) {
      const client = this.#client;
      await client.query(`listen ${quoteIdent(channel)}`).catch((error: unknown) => this.#lost(client, error));
    }
    return async () => {
      handlers.delete(onNotify);
      if (handlers.size > 0 || this.#channels.get(channel) !== handlers) return;
      this.#channels.delete(channel);
      await this.#client?.query(`unlisten ${quoteIdent(channel)}`).catch(() => undefined);
    };
  }

  state(): ListenerState {
    return { connected: Boolean(this.#client), reconnects: this.#reconnects };
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#reconnectTimer);
    clearInterval(this.#heartbeat);
    await this.#connecting;
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }

  async #tryConnect(): Promise<void> {
    this.#connecting = this.#connect();
    let failure: unknown;
    try {
      await this.#connecting;
    } catch (error) {
      failure = error;
    } finally {
      this.#connecting = undefined;
    }
    if (this.#closed) return;
    if (failure !== undefined) {
      this.log.warn({ err: failure, attempt: this.#attempt }, 'could not open the LISTEN connection; workers poll until it is back');
      this.#scheduleReconnect();
      return;
    }
    this.#attempt = 0;
    if (!this.#everConnected) {
      this.#everConnected = true;
      return;
    }
    this.#reconnects++;
    this.log.info({ channels: [...this.#channels.keys()] }, 'LISTEN connection re-established');
    for (const handlers of this.#channels.values()) {
      for (const handler of handlers) this.#deliver(handler, '');
    }
  }

  async #connect(): Promise<void> {
    const client = new pg.Client(this.clientConfig);
    client.on('error', (error) => this.#lost(client, error));
    client.on('end', () => this.#lost(client, undefined));
    client.on('notification', (message) => {
      for (const handler of this.#channels.get(message.channel) ?? []) this.#deliver(handler, message.payload ?? '');
    });
    try {
      await client.connect();
      for (const channel of this.#channels.keys()) await client.query(`listen ${quoteIdent(channel)}`);
    } catch (error) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.#closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.#client = client;
    clearInterval(this.#heartbeat);
    this.#heartbeat = setInterval(() => this.#checkAlive(client), HEARTBEAT_INTERVAL_MS);
    this.#heartbeat.unref();
  }

  // A connection dropped without a reset (a partitioned network) looks alive until it is used.
  #checkAlive(client: pg.Client): void {
    if (client !== this.#client) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer to the LISTEN heartbeat within ${HEARTBEAT_TIMEOUT_MS} ms`)), HEARTBEAT_TIMEOUT_MS);
    });
    Promise.race([client.query('select 1'), timeout])
      .catch((error: unknown) => this.#lost(client, error))
      .finally(() => clearTimeout(timer));
  }

  #lost(client: pg.Client, error: unknown): void {
    if (client !== this.#client || this.#closed) return;
    this.#client = undefined;
    clearInterval(this.#heartbeat);
    client.removeAllListeners('end');
    // Listened for again so a late socket error on the dropped client cannot go unhandled.
    client.on('error', () => undefined);
    void client.end().catch(() => undefined);
    this.log.warn({ err: error }, 'LISTEN connection lost; reconnecting, workers poll meanwhile');
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#reconnectTimer || this.#connecting) return;
    const base = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** this.#attempt);
    this.#attempt++;
    // Jitter, so instances that lost the same server do not reconnect in step.
    const delay = base / 2 + (Math.random() * base) / 2;
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      void this.#tryConnect();
    }, delay);
    this.#reconnectTimer.unref();
  }

  #deliver(handler: (payload: string) => void, payload: string): void {
    try {
      handler(payload);
    } catch (error) {
      this.log.error({ err: error }, 'a NOTIFY subscriber failed');
    }
  }
}
