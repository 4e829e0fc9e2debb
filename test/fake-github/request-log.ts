/** One request the fake received. */
export interface RecordedRequest {
  /** Upper-case HTTP method. */
  method: string;
  /** Path below the API prefix (`/orgs/acme/copilot/billing/seats`), or `/graphql` for GraphQL. */
  path: string;
  /** Query parameters (last value wins). */
  query: Record<string, string>;
  /** Parsed JSON body, or undefined. */
  body: unknown;
  /** GitHub's operation id from the REST description, `graphql` for GraphQL, undefined when nothing matched. */
  operationId: string | undefined;
  /** Path template of the operation. */
  template: string | undefined;
  /** Decoded path parameters. */
  params: Record<string, string>;
  /** Status the fake answered with (undefined while pending or when hung). */
  status: number | undefined;
  /** Installation whose token authenticated the request. */
  installationId: number | undefined;
  /** When the request arrived (fake clock). */
  at: Date;
  /** The request's headers (lower-cased names). */
  headers: Record<string, string | string[] | undefined>;
}

/** Kind of departure from GitHub's API description or auth rules. */
export type ViolationKind =
  | 'unknown-path'
  | 'unknown-method'
  | 'unknown-query-parameter'
  | 'invalid-query-parameter'
  | 'missing-query-parameter'
  | 'unexpected-body'
  | 'invalid-json'
  | 'invalid-body'
  | 'unknown-body-field'
  | 'auth'
  | 'not-implemented'
  | 'response-shape';

/** A request that does not follow GitHub's REST description (or a fake response that does not). */
export interface Violation {
  /** HTTP method. */
  method: string;
  /** Request path below the API prefix. */
  path: string;
  /** Operation id, when the path matched one. */
  operationId: string | undefined;
  /** What kind of problem. */
  kind: ViolationKind;
  /** Human-readable detail. */
  message: string;
}
