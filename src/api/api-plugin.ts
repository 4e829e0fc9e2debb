import compress from '@fastify/compress';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { findInstallationByOrg } from '../db/installations.js';
import { ApiError, orgNotFound } from './api-error.js';
import type { ApiDeps, ApiRoute } from './api-route.js';
import { type AuthResult, authenticate, principalSeesOrg } from './authenticate.js';
import { networkMatcher } from './client-networks.js';
import { databaseRateLimitStore } from './rate-limit-store.js';
import { authenticateSession } from './session-auth.js';
import { type ApiPermission, roleAllows, rolesWith } from './roles.js';

/** Where the API lives. */
export const API_PREFIX = '/api/v1';
/** The OpenAPI document, generated from the route schemas. */
export const OPENAPI_PATH = `${API_PREFIX}/openapi.json`;
/** The browsable reference. */
export const DOCS_PATH = '/docs';
/** Largest API request body: a policy file or an override list, never a webhook. */
export const API_BODY_LIMIT = 1024 * 1024;

declare module 'fastify' {
  interface FastifyRequest {
    /** How the request authenticated (API routes only). */
    apiAuth: AuthResult | null;
  }
}

/**
 * The management API as one encapsulated Fastify plugin: network filter, authentication, rate
 * limits, security headers, CORS, compression, the OpenAPI document and its reference page, and
 * every route of the table with its role and organization checks. Nothing here leaks to the
 * webhook intake, which stays open to GitHub.
 */
export async function apiPlugin(app: FastifyInstance, deps: ApiDeps & { routes: readonly ApiRoute[] }): Promise<void> {
  const { config, db } = deps;
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(apiSerializerCompiler);
  app.setErrorHandler(apiErrorHandler);
  app.decorateRequest('apiAuth', null);

  // First, so refusals carry the security headers and browsers' preflights need no key.
  await app.register(helmet, { global: true });
  if (config.api.corsOrigins.length > 0) {
    await app.register(cors, {
      origin: config.api.corsOrigins.map((url) => new URL(url).origin),
      methods: ['GET', 'POST', 'DELETE'],
      allowedHeaders: ['authorization', 'content-type'],
      maxAge: 600,
    });
  }

  if (config.api.allowCidrs.length > 0) {
    const allowed = networkMatcher(config.api.allowCidrs);
    app.addHook('onRequest', async (request) => {
      if (!allowed(request.ip)) {
        throw new ApiError(403, 'forbidden_network', 'The management API is not reachable from this network (CEOS_API_ALLOW_CIDRS).');
      }
    });
  }

  // Authentication runs before the rate limit, so a valid key is counted as itself and
  // everything else (no key, a wrong key) by client address, where guessing is slow.
  app.addHook('onRequest', async (request) => {
    // A dashboard session (cookie, CSRF-checked) stands in for the key when no Authorization header is sent.
    if (needsKey(request)) request.apiAuth = (await authenticateSession(request, deps)) ?? (await authenticate(db, request.headers.authorization, new Date()));
  });
  await app.register(rateLimit, {
    global: true,
    timeWindow: 60_000,
    // In the database, every instance counts against the same limits; in memory, each its own.
    ...(config.api.rateLimitStore === 'database' ? { store: databaseRateLimitStore(db) } : {}),
    keyGenerator: (request) => (request.apiAuth?.ok ? `key:${request.apiAuth.principal.id}` : `address:${request.ip}`),
    max: (_request, key) => (key.startsWith('key:') ? config.api.rateLimitPerKey : config.api.rateLimitPerAddress),
    errorResponseBuilder: (_request, context) =>
      new ApiError(429, 'rate_limited', `Too many requests: at most ${context.max} a minute; retry in ${context.after}.`),
  });
  // The rate limit counts in each route's own onRequest hooks, which run after the instance's:
  // refusing in preParsing comes after it, and before any body is read.
  app.addHook('preParsing', async (request, reply) => {
    const auth = request.apiAuth;
    if (auth && !auth.ok) {
      void reply.header('www-authenticate', 'Bearer realm="ceos"');
      throw new ApiError(401, 'unauthorized', auth.message);
    }
  });

  await app.register(compress, { global: true, threshold: 1024 });
  app.addContentTypeParser(['application/yaml', 'application/x-yaml', 'text/yaml'], { parseAs: 'string' }, (_request, body, done) => done(null, body));

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'CEOS management API',
        version: '1.0.0',
        description: 'Governs GitHub Copilot seats: seats, policy, plans, overrides, audit, deliveries and API keys. See docs/api.md.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key: `ceos_…`.' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, {
    routePrefix: DOCS_PATH,
    uiConfig: { url: OPENAPI_PATH, validatorUrl: null, deepLinking: true },
    staticCSP: true,
  });

  await app.register(
    async (v1) => {
      v1.setNotFoundHandler(async () => {
        throw new ApiError(404, 'not_found', 'No such route.');
      });
      v1.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
      for (const route of deps.routes) registerRoute(v1, route, deps);
    },
    { prefix: API_PREFIX },
  );
}

/** Every request to a route under /api/v1 needs a key, except the OpenAPI document (a path with no route is a 404 for all). */
function needsKey(request: FastifyRequest): boolean {
  if (request.routeOptions.url === undefined) return false;
  const path = request.url.split('?')[0]!;
  return (path === API_PREFIX || path.startsWith(`${API_PREFIX}/`)) && path !== OPENAPI_PATH;
}

/**
 * Success bodies go out as the handler made them: their `response` schema documents them and the
 * tests hold every route to it, but a drift must neither turn a good answer into a 500 nor drop
 * fields silently (zod's encoder strips unknown keys). Errors are encoded through their schema.
 */
const apiSerializerCompiler: typeof serializerCompiler = (route) => {
  if (String(route.httpStatus).startsWith('2')) return (data) => JSON.stringify(data);
  return serializerCompiler(route);
};

/** Every error answer, as the OpenAPI document describes it. */
const errorSchema = z
  .object({
    error: z
      .object({ code: z.string().describe('Machine-readable; see docs/api.md, "Errors"'), message: z.string().describe('What went wrong and what to do') })
      .loose(),
  })
  .describe('An error');

function registerRoute(app: FastifyInstance, route: ApiRoute, deps: ApiDeps): void {
  const roles = rolesWith(route.permission);
  app.route({
    method: route.method,
    url: route.url,
    bodyLimit: API_BODY_LIMIT,
    schema: {
      summary: route.summary,
      description: `${route.description ? `${route.description}\n\n` : ''}Roles: ${roles.join(', ')}.`,
      tags: [route.tag],
      ...(route.params ? { params: route.params } : {}),
      ...(route.querystring ? { querystring: route.querystring } : {}),
      ...(route.body ? { body: route.body } : {}),
      ...(route.consumes ? { consumes: route.consumes } : {}),
      response: { ...(route.response ? { [route.status ?? 200]: route.response } : {}), '4XX': errorSchema, '5XX': errorSchema },
    },
    preValidation: async (request) => authorize(request, route.permission, route.org, deps),
    handler: async (request, reply) => {
      const auth = request.apiAuth;
      if (!auth?.ok) throw new ApiError(401, 'unauthorized', 'Send an API key.');
      const result = await route.handler({
        params: request.params,
        query: request.query,
        body: request.body,
        principal: auth.principal,
        installation: route.org ? installations.get(request) : undefined,
        deps,
        request,
        reply,
        now: new Date(),
      });
      if (reply.sent) return reply;
      void reply.code(route.status ?? 200);
      return result;
    },
  });
}

// The organization found while authorizing, handed to the handler without a second lookup.
const installations = new WeakMap<FastifyRequest, NonNullable<Awaited<ReturnType<typeof findInstallationByOrg>>>>();

/**
 * The role check, then the organization check: a key that may not see an organization gets the
 * same 404 as for an organization that does not exist, so keys cannot probe for names.
 */
async function authorize(request: FastifyRequest, permission: ApiPermission, orgRoute: boolean, deps: ApiDeps): Promise<void> {
  const auth = request.apiAuth;
  if (!auth?.ok) throw new ApiError(401, 'unauthorized', 'Send an API key.');
  const { principal } = auth;
  if (!roleAllows(principal.role, permission)) {
    throw new ApiError(403, 'forbidden', `A ${principal.role} key may not do this; it needs one of: ${rolesWith(permission).join(', ')}.`);
  }
  if (!orgRoute) return;
  const org = String((request.params as { org?: unknown }).org ?? '');
  if (!principalSeesOrg(principal, org)) throw orgNotFound(org);
  const installation = await findInstallationByOrg(deps.db, org);
  if (!installation || installation.account_type === 'Enterprise') throw orgNotFound(org);
  installations.set(request, installation);
}

/** Every error as `{"error":{"code","message"}}`: validation naming the field, never a stack or a secret. */
function apiErrorHandler(error: FastifyError | ApiError, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof ApiError) return reply.code(error.statusCode).send({ error: { code: error.code, message: error.message, ...error.details } });
  if (hasZodFastifySchemaValidationErrors(error)) {
    const context = (error as FastifyError).validationContext ?? 'request';
    const messages = error.validation.map((issue) => {
      const keys = (issue.params as { keys?: unknown }).keys;
      const base = `${context}${issue.instancePath === '/' ? '' : issue.instancePath.replaceAll('/', '.')}`;
      const field = issue.keyword === 'unrecognized_keys' && Array.isArray(keys) ? keys.map((k) => `${base}.${String(k)}`).join(', ') : base;
      return `${field}: ${issue.message}`;
    });
    return reply.code(400).send({ error: { code: 'invalid_request', message: messages.join('; ') } });
  }
  const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
  if (status === 500) {
    request.log.error({ err: error, route: request.routeOptions.url }, 'API request failed');
    return reply.code(500).send({ error: { code: 'internal', message: 'Internal error; the server log has the details.' } });
  }
  const codes: Record<number, string> = { 413: 'payload_too_large', 415: 'unsupported_media_type', 406: 'not_acceptable', 405: 'method_not_allowed' };
  const messages: Record<number, string> = {
    413: `The body is larger than the API accepts (${API_BODY_LIMIT} bytes).`,
    415: `Content-Type ${request.headers['content-type'] ?? '(none)'} is not accepted here: send application/json (or, for a policy, application/yaml or text/plain).`,
  };
  return reply.code(status).send({ error: { code: codes[status] ?? 'bad_request', message: messages[status] ?? error.message } });
}
