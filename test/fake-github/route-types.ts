import type { FakeInstallation } from './app-state.js';
import type { GitHubState } from './github-state.js';
import type { SpecOperation } from './openapi-index.js';

/** Who is calling, as established from the `authorization` header. */
export type Caller =
  | { kind: 'app' }
  | { kind: 'installation'; installation: FakeInstallation; token: string }
  /** A user access token from the OAuth web flow (`/user` endpoints only). */
  | { kind: 'user'; login: string; token: string }
  | { kind: 'anonymous' };

/** What a REST handler gets. */
export interface RouteContext {
  /** The matched operation. */
  operation: SpecOperation;
  /** Decoded path parameters. */
  params: Record<string, string>;
  /** Query string. */
  query: URLSearchParams;
  /** Parsed JSON body, or undefined. */
  body: unknown;
  /** The fake's state. */
  state: GitHubState;
  /** The authenticated caller. */
  caller: Caller;
  /** The fake's clock, read once per request. */
  now: Date;
  /** Base URL of the REST API, e.g. `http://127.0.0.1:1234/api/v3`. */
  apiUrl: string;
  /** Request path below the REST prefix, e.g. `/orgs/acme/copilot/billing/seats`. */
  path: string;
}

/** What a REST handler answers. */
export interface RouteResult {
  /** HTTP status. */
  status: number;
  /** JSON body; omitted for 204. */
  body?: unknown;
  /** Extra response headers. */
  headers?: Record<string, string>;
}

/** A REST handler, keyed by operation id in the route tables. */
export type RouteHandler = (context: RouteContext) => RouteResult;

/** Route tables map GitHub operation ids to handlers. */
export type RouteTable = Record<string, RouteHandler>;
