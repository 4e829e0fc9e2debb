import { randomBytes } from 'node:crypto';
import type { FakeAccount } from './fake-state.js';

/** An installation of the app on an account. */
export interface FakeInstallation {
  /** Installation id. */
  id: number;
  /** The account (usually an organization) the app is installed on. */
  account: FakeAccount;
  /** Permissions granted to the installation. */
  permissions: Record<string, string>;
  /** ISO time of installation. */
  createdAt: string;
}

/** An installation access token the fake issued. */
export interface IssuedToken {
  /** The token string (`ghs_...`). */
  token: string;
  /** Installation the token acts for. */
  installationId: number;
  /** Expiry time. */
  expiresAt: Date;
}

/** A webhook delivery as listed by GET /app/hook/deliveries. */
export interface FakeDelivery {
  /** Delivery id (numeric, increasing with time). */
  id: number;
  /** The `X-GitHub-Delivery` GUID; shared by redeliveries of the same event. */
  guid: string;
  /** ISO time of the delivery. */
  deliveredAt: string;
  /** Whether this attempt is a redelivery. */
  redelivery: boolean;
  /** Seconds the receiver took. */
  duration: number;
  /** Outcome text, e.g. `OK` or `Invalid HTTP Response: 503`. */
  status: string;
  /** HTTP status the receiver answered (0 when unreachable). */
  statusCode: number;
  /** Event name. */
  event: string;
  /** Event action or null. */
  action: string | null;
  /** Installation id or null. */
  installationId: number | null;
  /** Repository id or null. */
  repositoryId: number | null;
}

/** A delivery to seed; omitted fields get plausible values. */
export interface DeliveryInit {
  /** Delivery id; assigned increasing when omitted. */
  id?: number;
  /** GUID; random when omitted. */
  guid?: string;
  /** ISO time; the fake's now when omitted. */
  deliveredAt?: string;
  /** Redelivery flag. */
  redelivery?: boolean;
  /** Seconds. */
  duration?: number;
  /** Status text; derived from statusCode when omitted. */
  status?: string;
  /** HTTP status; 200 when omitted. */
  statusCode?: number;
  /** Event name; `ping` when omitted. */
  event?: string;
  /** Action. */
  action?: string | null;
  /** Installation id. */
  installationId?: number | null;
  /** Repository id. */
  repositoryId?: number | null;
}

/** The app itself, its installations, tokens and webhook deliveries. */
export class AppState {
  /** The app's id. */
  readonly appId: number;
  /** The app's slug. */
  readonly slug: string;
  /** Installations by id. */
  readonly installations = new Map<number, FakeInstallation>();
  /** Tokens by token string. */
  readonly tokens = new Map<string, IssuedToken>();
  /** Deliveries, newest first. */
  private deliveries: FakeDelivery[] = [];
  private readonly deliveryIds = new Map<number, FakeDelivery>();
  private nextDeliveryId = 90_000_000_000;
  /** Deliveries asked for again through POST /app/hook/deliveries/{id}/attempts, oldest first. */
  readonly redeliveries: FakeDelivery[] = [];
  /** Status code the next redelivery attempts report; a test can set this to simulate a still-failing receiver. */
  redeliveryStatusCode = 200;

  constructor(
    options: { appId: number; slug: string },
    private readonly now: () => Date,
  ) {
    this.appId = options.appId;
    this.slug = options.slug;
  }

  /** Issues an installation token valid for one hour. */
  issueToken(installationId: number): IssuedToken {
    const token: IssuedToken = {
      token: `ghs_${randomBytes(18).toString('hex')}`,
      installationId,
      expiresAt: new Date(this.now().getTime() + 60 * 60 * 1000),
    };
    this.tokens.set(token.token, token);
    return token;
  }

  /** Adds deliveries (any order); they are listed newest (highest id) first. */
  addDeliveries(inits: DeliveryInit[]): FakeDelivery[] {
    const added = inits.map((init) => {
      const id = init.id ?? this.nextDeliveryId++;
      if (id >= this.nextDeliveryId) this.nextDeliveryId = id + 1;
      const statusCode = init.statusCode ?? 200;
      const delivery: FakeDelivery = {
        id,
        guid: init.guid ?? crypto.randomUUID(),
        deliveredAt: init.deliveredAt ?? this.now().toISOString(),
        redelivery: init.redelivery ?? false,
        duration: init.duration ?? 0.12,
        status: init.status ?? statusText(statusCode),
        statusCode,
        event: init.event ?? 'ping',
        action: init.action ?? null,
        installationId: init.installationId ?? null,
        repositoryId: init.repositoryId ?? null,
      };
      this.deliveryIds.set(id, delivery);
      return delivery;
    });
    this.deliveries = [...this.deliveryIds.values()].sort((a, b) => b.id - a.id);
    return added;
  }

  /** Deliveries, newest first. */
  listDeliveries(): readonly FakeDelivery[] {
    return this.deliveries;
  }

  /** A delivery by id. */
  delivery(id: number): FakeDelivery | undefined {
    return this.deliveryIds.get(id);
  }

  /** Records a redelivery: GitHub makes a new attempt with the same GUID and `redelivery: true`. */
  redeliver(original: FakeDelivery): FakeDelivery {
    const [attempt] = this.addDeliveries([
      {
        guid: original.guid,
        redelivery: true,
        statusCode: this.redeliveryStatusCode,
        event: original.event,
        action: original.action,
        installationId: original.installationId,
        repositoryId: original.repositoryId,
      },
    ]);
    this.redeliveries.push(original);
    return attempt!;
  }
}

function statusText(statusCode: number): string {
  if (statusCode === 0) return 'Timed out';
  return statusCode >= 200 && statusCode < 300 ? 'OK' : `Invalid HTTP Response: ${statusCode}`;
}
