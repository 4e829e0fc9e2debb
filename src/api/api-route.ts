import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { PgBoss } from 'pg-boss';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Config } from '../app/config.js';
import type { Installation } from '../db/installations.js';
import type { Database } from '../db/schema.js';
import type { ApiPrincipal } from './authenticate.js';
import type { ApiPermission } from './roles.js';

/** What the API's handlers use, passed in. */
export interface ApiDeps {
  db: Kysely<Database>;
  boss: PgBoss;
  log: Logger;
  config: Config;
}

type Out<T> = T extends z.ZodType ? z.output<T> : undefined;

/** What a handler gets: the validated request, the key that made it and, on org routes, the organization. */
export interface RouteContext<P, Q, B, O extends boolean> {
  params: P;
  query: Q;
  body: B;
  principal: ApiPrincipal;
  /** The organization's installation (org routes only; a key that may not see it never gets here). */
  installation: O extends true ? Installation : undefined;
  deps: ApiDeps;
  request: FastifyRequest;
  reply: FastifyReply;
  now: Date;
}

/** One route of the API, as the route table lists it. */
export interface RouteSpec<
  P extends z.ZodType | undefined,
  Q extends z.ZodType | undefined,
  B extends z.ZodType | undefined,
  O extends boolean,
  R extends z.ZodType | undefined = undefined,
> {
  method: 'GET' | 'POST' | 'DELETE';
  /** Path under `/api/v1`, Fastify style (`/orgs/:org/seats`). */
  url: string;
  permission: ApiPermission;
  /** Whether the path names an organization in `:org`: the key must be allowed to see it. */
  org: O;
  summary: string;
  description?: string;
  tag: string;
  params?: P;
  querystring?: Q;
  body?: B;
  /** Content types the body may have (JSON when left out). */
  consumes?: string[];
  /** Status of a success (200 when left out). */
  status?: number;
  /**
   * The JSON body of a success, as the OpenAPI document describes it under `status`. Documentation
   * checked by the tests against live answers; answers are not filtered through it.
   */
  response?: R;
  /** Answers the JSON body (typed by `response`), or the reply itself once it sent something else (a stream). */
  handler(ctx: RouteContext<Out<P>, Out<Q>, Out<B>, O>): Promise<R extends z.ZodType ? z.output<R> | FastifyReply : unknown>;
}

/** A route with its types erased, as the table holds it. */
export interface ApiRoute {
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  permission: ApiPermission;
  org: boolean;
  summary: string;
  description?: string;
  tag: string;
  params?: z.ZodType;
  querystring?: z.ZodType;
  body?: z.ZodType;
  consumes?: string[];
  status?: number;
  response?: z.ZodType;
  handler(ctx: RouteContext<unknown, unknown, unknown, boolean>): Promise<unknown>;
}

/** Declares a route, typing its handler from its schemas. */
export function defineRoute<
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
  O extends boolean = false,
  R extends z.ZodType | undefined = undefined,
>(spec: RouteSpec<P, Q, B, O, R>): ApiRoute {
  return spec as unknown as ApiRoute;
}
