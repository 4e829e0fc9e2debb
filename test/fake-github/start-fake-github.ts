import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DeliveryInit, FakeDelivery } from './app-state.js';
import { defaultFaultBody, matchesRequest } from './fault-injection.js';
import type { FaultRule, RequestMatcher } from './fault-injection.js';
import type { FakeOrg, OrgInit, OrgSnapshot } from './fake-state.js';
import { authenticate } from './authenticate.js';
import { errorResult, notFound } from './github-errors.js';
import { GitHubState } from './github-state.js';
import type { OAuthState } from './oauth-state.js';
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
import { userRoutes } from './routes/user-routes.js';
import { validateAgainstSchema } from './schema-validator.js';
import type { UsageAccessDenial, UsageReportInit, UsageReportKind } from './usage-reports.js';
import { writeUsageDownload } from './usage-download.js';
import { describeProblem, validateRequest } from './validate-request.js';

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
  /** Renames a user: same id, new login everywhere (members, teams, seats). */
  renameUser(from: string, to: string): void;
  /** Renames an organization: same id, new login; its repositories and installation follow. */
  renameOrg(from: string, to: string): FakeOrg;
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
  /** Seeds a Copilot usage metrics report; its download links are signed, expiring URLs the fake serves without auth. */
  setUsageReport(init: UsageReportInit): void;
  /** The next `times` report calls of that day answer links that have already expired (the file host answers 403). */
  expireUsageLinks(org: string, report: UsageReportKind, day: string, times?: number): void;
  /** Refuses the organization's usage reports (metrics policy off: 403 or 422 with GitHub's message); null serves them again. */
  denyUsageReports(org: string, denial: UsageAccessDenial | null): void;
  /** Answers the next matching request(s) with a canned failure. */
  failNext(rule: FaultRule): void;
  /** Never answers matching requests (until `close()`); returns a function that stops hanging new ones. */
  hang(pathPattern: RequestMatcher['pathPattern'], matcher?: Omit<RequestMatcher, 'pathPattern'>): () => void;
  /**
   * Latency: matching REST requests are carried out at once (the state changes, as on GitHub) but
   * answered only after `ms`; returns a function that stops delaying new ones.
   */
  delay(matcher: RequestMatcher & { ms: number }): () => void;
  /** The app's OAuth web flow: its client id and secret, and who is signed in (`oauth.signedIn = 'alice'`). */
  oauth: OAuthState;
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
  ...userRoutes,
};

const REST_PREFIX = '/api/v3';
const GRAPHQL_PATH = '/api/graphql';
const DOWNLOADS_PREFIX = '/downloads';
const REST_LIMIT = 15_000;

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
  const delays: (RequestMatcher & { ms: number })[] = [];
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
      headers: req.headers,
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

    // The OAuth web flow lives on the web host, outside the REST API and its description.
    if (url.pathname === '/login/oauth/authorize' && method === 'GET') {
      record.operationId = 'oauth/authorize';
      record.template = url.pathname;
      const answer = state.oauth.authorize(url.searchParams);
      record.status = answer.status;
      if (answer.location !== undefined) res.writeHead(302, { location: answer.location }).end();
      else res.writeHead(answer.status, { 'content-type': 'text/plain; charset=utf-8' }).end(answer.message ?? '');
      return;
    }
    if (url.pathname === '/login/oauth/access_token' && method === 'POST') {
      record.operationId = 'oauth/access-token';
      record.template = url.pathname;
      // GitHub takes the parameters as a form, as JSON, or in the query string.
      const type = String(req.headers['content-type'] ?? '');
      const params: Record<string, unknown> = type.includes('json') ? (JSON.parse(raw || '{}') as Record<string, unknown>) : Object.fromEntries(new URLSearchParams(raw || url.search));
      record.body = { ...params, client_secret: params.client_secret === undefined ? undefined : '[secret]' };
      const answer = state.oauth.exchange(params);
      record.status = 200;
      const json = String(req.headers.accept ?? '').includes('application/json');
      if (!json) violate(record, 'invalid-body', 'The token exchange should ask for JSON with "Accept: application/json" (GitHub answers a form otherwise).');
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(answer));
      return;
    }

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
      const caller = identify(req.headers.authorization, undefined, record);
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
      if (req.headers.authorization !== undefined) {
        // A signed URL carries its own signature: an Authorization header sent to the file host leaks a GitHub token.
        violate(record, 'auth', 'A download link was fetched with an Authorization header: the installation token was sent to the file host.');
      }
      await writeUsageDownload(res, state.usageReports.download(download[1] ?? '', url.searchParams, now()), (status) => (record.status = status));
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

    const { findings, rejection } = validateRequest(operation, url.searchParams, record.body, spec.resolveRef);
    for (const finding of findings) violate(record, finding.kind, finding.message);
    if (rejection !== undefined) {
      send(rejection);
      return;
    }
    const auth = identify(req.headers.authorization, operation, record);
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
    const delayed = delays.find((rule) => matchesRequest(rule, record));
    if (delayed !== undefined) setTimeout(() => send(result, rateHeaders), delayed.ms).unref();
    else send(result, rateHeaders);
  };

  const identify = (
    header: string | undefined,
    operation: SpecOperation | undefined,
    record: RecordedRequest,
  ): { caller: Caller } | { failure: RouteResult } => {
    const result = authenticate(header, operation, record.params, state.app, now(), (token) => state.oauth.userOf(token));
    if ('failure' in result) {
      violate(record, result.finding.kind, result.finding.message);
      return { failure: result.failure };
    }
    if (result.caller.kind === 'installation') record.installationId = result.caller.installation.id;
    return result;
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
    oauth: state.oauth,
    count: (operationId) => requests.filter((r) => r.operationId === operationId).length,
    requestsTo: (operationId) => requests.filter((r) => r.operationId === operationId),
    clearLog: () => {
      requests.length = 0;
      violations.length = 0;
    },
    addOrg: (init) => state.addOrg(init),
    org: requireOrg,
    orgState: (login) => requireOrg(login).snapshot(),
    renameUser: (from, to) => state.renameUser(from, to),
    renameOrg: (from, to) => state.renameOrg(from, to),
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
    setUsageReport: (init) => state.usageReports.put(init),
    expireUsageLinks: (org, report, day, times) => state.usageReports.expireLinks(org, report, day, times),
    denyUsageReports: (org, denial) => state.usageReports.deny(org, denial),
    failNext: (rule) => {
      faults.push({ ...rule, remaining: rule.times ?? 1 });
    },
    delay: (rule) => {
      delays.push(rule);
      return () => {
        const index = delays.indexOf(rule);
        if (index !== -1) delays.splice(index, 1);
      };
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
