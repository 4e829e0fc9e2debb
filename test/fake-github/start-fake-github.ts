import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DeliveryInit, FakeDelivery } from './app-state.js';
import { defaultFaultBody, matchesRequest } from './fault-injection.js';
import type { FaultRule, RequestMatcher } from './fault-injection.js';
import type { FakeOrg, OrgInit, OrgSnapshot } from './fake-state.js';
import { badCredentials, errorResult, notFound } from './github-errors.js';
import { GitHubState } from './github-state.js';
import { answerGraphql } from './graphql-endpoint.js';
import { loadOpenApiIndex } from './openapi-index.js';
import type { SpecOperation } from './openapi-index.js';
import { RateLimitWindows } from './rate-limit-windows.js';
import type { FakeRepo, PullFileInit } from './repo-state.js';
import type { RecordedRequest, Violation, ViolationKind } from './request-log.js';
import type { Caller, RouteResult, RouteTable } from './route-types.js';
import { appRoutes } from './routes/app-routes.js';
import { checkRoutes } from './routes/check-routes.js';
import { copilotRoutes } from './routes/copilot-routes.js';
import { issueRoutes } from './routes/issue-routes.js';
import { orgRoutes } from './routes/org-routes.js';
import { repoRoutes } from './routes/repo-routes.js';
import { usageReportRoutes } from './routes/usage-report-routes.js';
import { isHardProblem, validateAgainstSchema } from './schema-validator.js';
import type { UsageReportInit } from './usage-reports.js';
import type { SchemaProblem } from './schema-validator.js';

/** Options of the fake GitHub. */
export interface FakeGitHubOptions {
  /** The fake's clock (seat dates, token expiry, rate-limit windows); the real clock when omitted. */
  now?: () => Date;
  /** The app's id; 4242 when omitted. */
  appId?: number;
  /** The app's slug; `ceos` when omitted. */
  appSlug?: string;
  /** Check the fake's own responses against the description and record mismatches as violations; on by default. */
  validateResponses?: boolean;
}

/** A running fake GitHub Enterprise Server. */
export interface FakeGitHub {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** `127.0.0.1:PORT`, the value for GHE_HOST. */
  host: string;
  /** The port. */
  port: number;
  /** REST base URL, `http://127.0.0.1:PORT/api/v3`. */
  apiUrl: string;
  /** GraphQL endpoint, `http://127.0.0.1:PORT/api/graphql`. */
  graphqlUrl: string;
  /** Requests and responses that depart from GitHub's description; tests end with `expect(fake.violations).toEqual([])`. */
  violations: Violation[];
  /** Every request received, in arrival order. */
  requests: RecordedRequest[];
  /** All in-memory state, for tests that need more than the helpers below. */
  state: GitHubState;
  /** How many requests hit an operation id (e.g. `copilot/list-copilot-seats`, or `graphql`). */
  count(operationId: string): number;
  /** The requests that hit an operation id. */
  requestsTo(operationId: string): RecordedRequest[];
  /** Empties `requests` and `violations`. */
  clearLog(): void;
  /** Adds an organization with members, teams, seats and Copilot settings. */
  addOrg(init: OrgInit): FakeOrg;
  /** The organization; throws when it does not exist. */
  org(login: string): FakeOrg;
  /** A copy of an organization's members, teams, seats and settings. */
  orgState(login: string): OrgSnapshot;
  /** Installs the app on an account (creating the organization when unknown). */
  addInstallation(init: { id: number; account: string; permissions?: Record<string, string> }): void;
  /** Issues an installation token directly, without the JWT exchange. */
  createInstallationToken(installationId: number): string;
  /** Seeds webhook deliveries for GET /app/hook/deliveries. */
  addDeliveries(deliveries: DeliveryInit[]): FakeDelivery[];
  /** Deliveries the app asked to redeliver, oldest first. */
  readonly redeliveries: readonly FakeDelivery[];
  /** Adds (or updates) a repository. */
  addRepo(init: { owner: string; name: string; defaultBranch?: string; private?: boolean }): FakeRepo;
  /** Puts a file at a ref (default branch when omitted), creating the repository when needed. */
  putFile(init: { owner: string; repo: string; path: string; content: string; ref?: string }): void;
  /** Sets the changed files of a pull request. */
  setPullRequestFiles(init: { owner: string; repo: string; pullNumber: number; files: PullFileInit[] }): void;
  /** A repository, to read the check runs and comments the app wrote; throws when absent. */
  repo(owner: string, name: string): FakeRepo;
  /** Seeds a Copilot usage metrics report; its download link is served by the fake without auth, like a signed URL. */
  setUsageReport(init: UsageReportInit): void;
  /** Answers the next matching request(s) with a canned failure. */
  failNext(rule: FaultRule): void;
  /** Never answers matching requests (until `close()`); returns a function that stops hanging new ones. */
  hang(pathPattern: RequestMatcher['pathPattern'], matcher?: Omit<RequestMatcher, 'pathPattern'>): () => void;
  /** Stops the server, dropping hung connections. */
  close(): Promise<void>;
}

const ROUTES: RouteTable = {
  ...appRoutes,
  ...copilotRoutes,
  ...orgRoutes,
  ...repoRoutes,
  ...checkRoutes,
  ...issueRoutes,
  ...usageReportRoutes,
};

const REST_PREFIX = '/api/v3';
const GRAPHQL_PATH = '/api/graphql';
const DOWNLOADS_PREFIX = '/downloads';
const REST_LIMIT = 15_000;
// Outside /app, these are the operations GitHub answers only for the app's JWT.
const JWT_INSTALLATION_LOOKUPS = new Set(['apps/get-org-installation', 'apps/get-repo-installation', 'apps/get-user-installation']);

/** Starts a fake GitHub Enterprise Server on 127.0.0.1 and a free port. */
export async function startFakeGitHub(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const now = options.now ?? (() => new Date());
  const validateResponses = options.validateResponses ?? true;
  const spec = loadOpenApiIndex();
  const state = new GitHubState(now, { appId: options.appId ?? 4242, slug: options.appSlug ?? 'ceos' });
  const violations: Violation[] = [];
  const requests: RecordedRequest[] = [];
  const faults: (FaultRule & { remaining: number })[] = [];
  const hangs: RequestMatcher[] = [];
  const restLimits = new RateLimitWindows();
  const graphqlLimits = new RateLimitWindows();
  let apiUrl = '';

  const violate = (request: RecordedRequest, kind: ViolationKind, message: string): void => {
    violations.push({ method: request.method, path: request.path, operationId: request.operationId, kind, message });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = (req.method ?? 'GET').toUpperCase();
    const isGraphql = url.pathname === GRAPHQL_PATH;
    const path = isGraphql ? '/graphql' : url.pathname.startsWith(`${REST_PREFIX}/`) ? url.pathname.slice(REST_PREFIX.length) : url.pathname;
    const record: RecordedRequest = {
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      body: undefined,
      operationId: undefined,
      template: undefined,
      params: {},
      status: undefined,
      installationId: undefined,
      at: now(),
    };
    requests.push(record);
    const send = (result: RouteResult, extraHeaders: Record<string, string> = {}): void => {
      record.status = result.status;
      const headers: Record<string, string> = {
        'x-github-request-id': randomUUID().toUpperCase(),
        'x-github-media-type': 'github.v3; format=json',
        'x-github-api-version-selected': '2022-11-28',
        ...extraHeaders,
        ...result.headers,
      };
      if (result.body === undefined || result.status === 204) {
        res.writeHead(result.status, headers).end();
        return;
      }
      res.writeHead(result.status, { ...headers, 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(result.body));
    };

    if (raw.length > 0) {
      try {
        record.body = JSON.parse(raw);
      } catch {
        violate(record, 'invalid-json', 'The body is not valid JSON.');
        send(errorResult(400, 'Problems parsing JSON'));
        return;
      }
    }

    if (isGraphql) {
      record.operationId = 'graphql';
      record.template = '/graphql';
      if (method !== 'POST') {
        violate(record, 'unknown-method', `GraphQL takes POST, not ${method}.`);
        send(notFound());
        return;
      }
      const caller = authenticate(req.headers.authorization, undefined, record);
      if ('failure' in caller) {
        send(caller.failure);
        return;
      }
      if (shouldHang(record)) return;
      const fault = takeFault(record);
      if (fault !== undefined) {
        send(fault);
        return;
      }
      const answer = answerGraphql(record.body, { state, now: now(), callerKey: callerKey(caller.caller), limits: graphqlLimits });
      send({ status: answer.status, body: answer.body }, answer.headers);
      return;
    }

    const download = /^\/downloads\/copilot-metrics\/([0-9a-f-]+)\.ndjson$/.exec(url.pathname);
    if (download !== null && method === 'GET') {
      record.operationId = 'download';
      record.template = `${DOWNLOADS_PREFIX}/copilot-metrics/{file}`;
      if (shouldHang(record)) return;
      const fault = takeFault(record);
      if (fault !== undefined) {
        send(fault);
        return;
      }
      const content = state.usageReports.file(download[1] ?? '');
      record.status = content === undefined ? 404 : 200;
      res.writeHead(record.status, { 'content-type': 'application/x-ndjson' }).end(content ?? '');
      return;
    }

    if (!url.pathname.startsWith(`${REST_PREFIX}/`)) {
      violate(record, 'unknown-path', `Not a GitHub Enterprise Server API path (REST lives under ${REST_PREFIX}, GraphQL at ${GRAPHQL_PATH}).`);
      send(notFound());
      return;
    }
    const match = spec.match(method, path);
    if (match.kind === 'no-path') {
      violate(record, 'unknown-path', 'No operation in the REST description has this path.');
      send(notFound());
      return;
    }
    if (match.kind === 'wrong-method') {
      record.template = match.template;
      violate(record, 'unknown-method', `${match.template} takes ${match.methods.join(', ')}, not ${method}.`);
      send(notFound());
      return;
    }
    const { operation, params } = match;
    record.operationId = operation.operationId;
    record.template = operation.template;
    record.params = params;

    const rejection = validateRequest(operation, url.searchParams, record, violate);
    if (rejection !== undefined) {
      send(rejection);
      return;
    }
    const auth = authenticate(req.headers.authorization, operation, record);
    if ('failure' in auth) {
      send(auth.failure);
      return;
    }
    const rateHeaders = restRateHeaders(auth.caller);
    if (shouldHang(record)) return;
    const fault = takeFault(record);
    if (fault !== undefined) {
      send(fault, rateHeaders);
      return;
    }
    const route = ROUTES[operation.operationId];
    if (route === undefined) {
      violate(record, 'not-implemented', `The fake does not implement ${operation.operationId}; add a route for it.`);
      send(notFound(), rateHeaders);
      return;
    }
    const result = route({
      operation,
      params,
      query: url.searchParams,
      body: record.body,
      state,
      caller: auth.caller,
      now: now(),
      apiUrl,
      path,
    });
    if (validateResponses) checkResponse(operation, result, record);
    send(result, rateHeaders);
  };

  const validateRequest = (
    operation: SpecOperation,
    query: URLSearchParams,
    record: RecordedRequest,
    report: typeof violate,
  ): RouteResult | undefined => {
    const hard: string[] = [];
    const declared = new Map(operation.parameters.filter((p) => p.in === 'query').map((p) => [p.name, p]));
    for (const [name, value] of query) {
      const param = declared.get(name);
      if (param === undefined) {
        report(record, 'unknown-query-parameter', `${operation.operationId} declares no query parameter "${name}".`);
        continue;
      }
      const problem = checkQueryValue(value, param.schema, spec.resolveRef);
      if (problem !== undefined) {
        report(record, 'invalid-query-parameter', `Query parameter "${name}": ${problem}`);
        hard.push(`For 'properties/${name}', ${JSON.stringify(value)} ${problem}`);
      }
    }
    for (const param of declared.values()) {
      if (param.required && !query.has(param.name)) {
        report(record, 'missing-query-parameter', `Query parameter "${param.name}" is required.`);
        hard.push(`"${param.name}" wasn't supplied.`);
      }
    }
    const body = record.body;
    if (operation.requestBody === undefined) {
      if (body !== undefined && !(isEmptyObject(body) && operation.method !== 'GET')) {
        report(record, 'unexpected-body', `${operation.operationId} takes no request body.`);
      }
    } else if (body !== undefined || operation.requestBody.required) {
      const problems = validateAgainstSchema(body ?? {}, operation.requestBody.schema, {
        resolveRef: spec.resolveRef,
        checkRequired: true,
      });
      for (const problem of problems) {
        report(record, isHardProblem(problem) ? 'invalid-body' : 'unknown-body-field', describeProblem(problem));
        if (isHardProblem(problem)) hard.push(problem.message);
      }
    }
    if (hard.length === 0) return undefined;
    return errorResult(422, `Invalid request.\n\n${hard.join('\n')}`);
  };

  const authenticate = (
    header: string | undefined,
    operation: SpecOperation | undefined,
    record: RecordedRequest,
  ): { caller: Caller } | { failure: RouteResult } => {
    const [scheme = '', credential = ''] = (header ?? '').trim().split(/\s+/, 2);
    const isJwt = credential.split('.').length === 3;
    const needsJwt =
      operation !== undefined &&
      (JWT_INSTALLATION_LOOKUPS.has(operation.operationId) ||
        ((operation.template === '/app' || operation.template.startsWith('/app/')) && operation.operationId.startsWith('apps/')));
    if (needsJwt) {
      if (scheme.toLowerCase() === 'bearer' && isJwt) return { caller: { kind: 'app' } };
      violate(record, 'auth', `${operation.operationId} needs the app's JWT as "authorization: bearer <jwt>".`);
      return { failure: errorResult(401, 'A JSON web token could not be decoded') };
    }
    const token = ['token', 'bearer'].includes(scheme.toLowerCase()) ? state.app.tokens.get(credential) : undefined;
    if (token === undefined || token.expiresAt <= now()) {
      const why = header === undefined ? 'no authorization header' : isJwt ? 'an app JWT instead of an installation token' : 'a token the fake never issued or that has expired';
      violate(record, 'auth', `Request carries ${why}.`);
      return { failure: badCredentials() };
    }
    const installation = state.app.installations.get(token.installationId);
    if (installation === undefined) {
      violate(record, 'auth', `Token of the uninstalled installation ${token.installationId}.`);
      return { failure: badCredentials() };
    }
    record.installationId = installation.id;
    const target = record.params.org ?? record.params.owner;
    if (target !== undefined && target.toLowerCase() !== installation.account.login.toLowerCase()) {
      violate(record, 'auth', `Installation ${installation.id} (${installation.account.login}) cannot act on ${target}.`);
      return { failure: notFound() };
    }
    return { caller: { kind: 'installation', installation, token: credential } };
  };

  const callerKey = (caller: Caller): string =>
    caller.kind === 'installation' ? `installation:${caller.installation.id}` : caller.kind;

  const restRateHeaders = (caller: Caller): Record<string, string> => {
    const window = restLimits.window(callerKey(caller), now());
    window.used++;
    return {
      'x-ratelimit-limit': String(REST_LIMIT),
      'x-ratelimit-remaining': String(Math.max(0, REST_LIMIT - window.used)),
      'x-ratelimit-used': String(window.used),
      'x-ratelimit-reset': String(Math.floor(window.resetAt.getTime() / 1000)),
      'x-ratelimit-resource': 'core',
    };
  };

  const shouldHang = (record: RecordedRequest): boolean => hangs.some((matcher) => matchesRequest(matcher, record));

  const takeFault = (record: RecordedRequest): RouteResult | undefined => {
    const index = faults.findIndex((fault) => fault.remaining > 0 && matchesRequest(fault, record));
    const fault = faults[index];
    if (fault === undefined) return undefined;
    fault.remaining--;
    if (fault.remaining <= 0) faults.splice(index, 1);
    return { status: fault.status, headers: fault.headers, body: fault.body ?? defaultFaultBody(fault.status) };
  };

  const checkResponse = (operation: SpecOperation, result: RouteResult, record: RecordedRequest): void => {
    if (result.status >= 400 || result.body === undefined) return;
    if (!operation.responses.has(result.status)) {
      violate(record, 'response-shape', `The fake answered ${result.status}, which ${operation.operationId} does not document.`);
      return;
    }
    const schema = operation.responses.get(result.status);
    if (schema === undefined) return;
    const problems = validateAgainstSchema(result.body, schema, { resolveRef: spec.resolveRef, checkRequired: false });
    for (const problem of problems) {
      // Some inline copies of app-permissions in the description lag behind GitHub's list of permissions.
      if (problem.kind === 'unknown-field' && /(^|\.)permissions\.[^.]+$/.test(problem.pointer)) continue;
      violate(record, 'response-shape', `The fake's ${result.status} response does not fit the description: ${describeProblem(problem)}`);
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      violations.push({
        method: req.method ?? '',
        path: req.url ?? '',
        operationId: undefined,
        kind: 'not-implemented',
        message: `The fake failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      });
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' }).end('{"message":"Server Error"}');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  apiUrl = `${url}${REST_PREFIX}`;

  const requireOrg = (login: string): FakeOrg => {
    const org = state.org(login);
    if (org === undefined) throw new Error(`The fake has no organization ${login}; add it with addOrg().`);
    return org;
  };

  return {
    url,
    host: `127.0.0.1:${port}`,
    port,
    apiUrl,
    graphqlUrl: `${url}${GRAPHQL_PATH}`,
    violations,
    requests,
    state,
    count: (operationId) => requests.filter((r) => r.operationId === operationId).length,
    requestsTo: (operationId) => requests.filter((r) => r.operationId === operationId),
    clearLog: () => {
      requests.length = 0;
      violations.length = 0;
    },
    addOrg: (init) => state.addOrg(init),
    org: requireOrg,
    orgState: (login) => requireOrg(login).snapshot(),
    addInstallation: (init) => {
      state.addInstallation(init);
    },
    createInstallationToken: (installationId) => {
      if (!state.app.installations.has(installationId)) {
        throw new Error(`No installation ${installationId}; add it with addInstallation() first.`);
      }
      return state.app.issueToken(installationId).token;
    },
    addDeliveries: (deliveries) => state.app.addDeliveries(deliveries),
    get redeliveries() {
      return state.app.redeliveries;
    },
    addRepo: (init) => state.ensureRepo(init.owner, init.name, init),
    putFile: (init) => {
      const repo = state.ensureRepo(init.owner, init.repo);
      repo.putFile(init.ref ?? repo.defaultBranch, init.path, init.content);
    },
    setPullRequestFiles: (init) => {
      state.ensureRepo(init.owner, init.repo).pullFiles.set(init.pullNumber, init.files);
    },
    repo: (owner, name) => {
      const repo = state.repo(owner, name);
      if (repo === undefined) throw new Error(`The fake has no repository ${owner}/${name}; add it with addRepo().`);
      return repo;
    },
    setUsageReport: (init) => {
      state.usageReports.put(init, `${url}${DOWNLOADS_PREFIX}`);
    },
    failNext: (rule) => {
      faults.push({ ...rule, remaining: rule.times ?? 1 });
    },
    hang: (pathPattern, matcher = {}) => {
      const rule: RequestMatcher = { ...matcher, pathPattern };
      hangs.push(rule);
      return () => {
        const index = hangs.indexOf(rule);
        if (index !== -1) hangs.splice(index, 1);
      };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeAllConnections();
      }),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function checkQueryValue(
  value: string,
  schema: SpecOperation['parameters'][number]['schema'],
  resolveRef: (ref: string) => SpecOperation['parameters'][number]['schema'],
): string | undefined {
  const resolved = schema.$ref === undefined ? schema : resolveRef(schema.$ref);
  const type = Array.isArray(resolved.type) ? resolved.type[0] : resolved.type;
  if (type === 'integer' && !/^-?\d+$/.test(value)) return 'is not an integer.';
  if (type === 'number' && Number.isNaN(Number(value))) return 'is not a number.';
  if (type === 'boolean' && value !== 'true' && value !== 'false') return 'is not a boolean.';
  if (resolved.format === 'date' && !/^\d{4}-\d{2}-\d{2}$/.test(value)) return 'is not a date (YYYY-MM-DD).';
  if (resolved.enum !== undefined && !resolved.enum.map(String).includes(value)) {
    return `is not a member of [${resolved.enum.join(', ')}].`;
  }
  return undefined;
}

function describeProblem(problem: SchemaProblem): string {
  return problem.pointer === '' ? problem.message : `${problem.pointer}: ${problem.message}`;
}

function isEmptyObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;
}
