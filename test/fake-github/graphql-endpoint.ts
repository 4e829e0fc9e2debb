import {
  GraphQLError,
  Kind,
  execute,
  getArgumentValues,
  getNamedType,
  isCompositeType,
  isObjectType,
  parse,
  validate,
} from 'graphql';
import type {
  DocumentNode,
  FragmentDefinitionNode,
  GraphQLCompositeType,
  GraphQLNamedType,
  OperationDefinitionNode,
  SelectionSetNode,
} from 'graphql';
import type { FakeOrg, FakeTeam } from './fake-state.js';
import type { FakeAccount } from './fake-state.js';
import type { GitHubState } from './github-state.js';
import { githubGraphqlSchema } from './graphql-schema.js';
import type { RateLimitWindows } from './rate-limit-windows.js';
import { nodeId } from './rest-shapes.js';

/** GitHub's GraphQL limits. */
const MAX_PAGE_SIZE = 100;
const MAX_NODES = 500_000;
const POINTS_PER_HOUR = 5_000;

/** The answer to a GraphQL request. */
export interface GraphqlAnswer {
  /** HTTP status (200 even for GraphQL errors, as GitHub does). */
  status: number;
  /** JSON body: `{ data }`, `{ data, errors }` or `{ errors }`. */
  body: unknown;
  /** Rate limit headers. */
  headers: Record<string, string>;
}

/** Executes a GraphQL request against the fake's state with GitHub's validation, pagination limits and cost accounting. */
export function answerGraphql(
  body: unknown,
  context: { state: GitHubState; now: Date; callerKey: string; limits: RateLimitWindows },
): GraphqlAnswer {
  const schema = githubGraphqlSchema();
  const request = (body ?? {}) as { query?: unknown; variables?: unknown; operationName?: unknown };
  const window = context.limits.window(context.callerKey, context.now);
  const headers = (): Record<string, string> => ({
    'x-ratelimit-limit': String(POINTS_PER_HOUR),
    'x-ratelimit-remaining': String(Math.max(0, POINTS_PER_HOUR - window.used)),
    'x-ratelimit-used': String(window.used),
    'x-ratelimit-reset': String(Math.floor(window.resetAt.getTime() / 1000)),
    'x-ratelimit-resource': 'graphql',
  });
  if (typeof request.query !== 'string') {
    return { status: 200, headers: headers(), body: { errors: [{ message: 'A query attribute must be specified and must be a string.' }] } };
  }
  const variables = isRecord(request.variables) ? request.variables : {};
  const operationName = typeof request.operationName === 'string' ? request.operationName : undefined;

  let document: DocumentNode;
  try {
    document = parse(request.query);
  } catch (error) {
    return { status: 200, headers: headers(), body: { errors: [formatError(error as GraphQLError)] } };
  }
  const validationErrors = validate(schema, document);
  if (validationErrors.length > 0) {
    return { status: 200, headers: headers(), body: { errors: validationErrors.map(formatError) } };
  }

  const analysis = analyzeCost(document, operationName, variables);
  if (analysis.errors.length > 0) {
    return { status: 200, headers: headers(), body: { errors: analysis.errors.map(formatError) } };
  }
  const cost = Math.max(1, Math.round(analysis.requests / 100));
  const dryRun = isDryRun(document, variables);
  if (!dryRun) window.used += cost;

  const rootValue = {
    organization: ({ login }: { login: string }) => {
      const org = context.state.org(login);
      if (org === undefined) {
        throw new GraphQLError(`Could not resolve to an Organization with the login of '${login}'.`, {
          extensions: { type: 'NOT_FOUND' },
        });
      }
      return organizationNode(org);
    },
    rateLimit: () => ({
      cost,
      limit: POINTS_PER_HOUR,
      nodeCount: analysis.nodeCount,
      remaining: Math.max(0, POINTS_PER_HOUR - window.used),
      resetAt: window.resetAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      used: window.used,
    }),
  };
  const result = execute({ schema, document, rootValue, variableValues: variables, operationName });
  if (result instanceof Promise) throw new Error('The fake GitHub GraphQL resolvers are synchronous');
  const answer: Record<string, unknown> = {};
  if (result.data !== undefined) answer.data = result.data;
  if (result.errors !== undefined && result.errors.length > 0) answer.errors = result.errors.map(formatError);
  return { status: 200, headers: headers(), body: answer };
}

interface PageArgs {
  first?: number | null;
  last?: number | null;
  after?: string | null;
  before?: string | null;
}

/** A Relay connection over an indexable list; edges and nodes are built only when selected. */
function connection<T>(
  total: number,
  slice: (start: number, end: number) => T[],
  args: PageArgs,
  edge: (item: T, cursor: string) => Record<string, unknown>,
  node: (item: T) => Record<string, unknown> | null,
): Record<string, unknown> {
  let start = args.after != null ? decodeCursor(args.after) + 1 : 0;
  let end = args.before != null ? decodeCursor(args.before) : total;
  start = Math.min(Math.max(start, 0), total);
  end = Math.min(Math.max(end, start), total);
  if (args.first != null) end = Math.min(end, start + args.first);
  if (args.last != null) start = Math.max(start, end - args.last);
  let items: T[] | undefined;
  const page = (): T[] => (items ??= slice(start, end));
  return {
    totalCount: total,
    pageInfo: {
      startCursor: end > start ? encodeCursor(start) : null,
      endCursor: end > start ? encodeCursor(end - 1) : null,
      hasNextPage: end < total,
      hasPreviousPage: start > 0,
    },
    edges: () => page().map((item, i) => edge(item, encodeCursor(start + i))),
    nodes: () => page().map(node),
  };
}

function encodeCursor(index: number): string {
  return Buffer.from(`cursor:v2:${index}`).toString('base64');
}

function decodeCursor(cursor: string): number {
  const match = /^cursor:v2:(\d+)$/.exec(Buffer.from(cursor, 'base64').toString('utf8'));
  if (match === null) {
    throw new GraphQLError(`\`${cursor}\` does not appear to be a valid cursor.`, { extensions: { type: 'INVALID_CURSOR_ARGUMENTS' } });
  }
  return Number(match[1]);
}

function userNode(user: FakeAccount): Record<string, unknown> {
  return { databaseId: user.id, id: nodeId('U', user.id), login: user.login, name: null, email: '' };
}

function organizationNode(org: FakeOrg): Record<string, unknown> {
  return {
    databaseId: org.account.id,
    id: nodeId('O', org.account.id),
    login: org.login,
    name: org.login,
    membersWithRole: (args: PageArgs) =>
      connection(
        org.memberCount,
        (start, end) => org.memberSlice(start, end),
        args,
        (member, cursor) => ({
          cursor,
          role: member.role === 'admin' ? 'ADMIN' : 'MEMBER',
          hasTwoFactorEnabled: null,
          node: org.isHidden(member.user.login) ? null : userNode(member.user),
        }),
        (member) => (org.isHidden(member.user.login) ? null : userNode(member.user)),
      ),
    team: ({ slug }: { slug: string }) => {
      const team = org.team(slug);
      return team === undefined ? null : teamNode(org, team);
    },
    teams: (args: PageArgs & TeamFilterArgs) => teamConnection(org, filterTeams(org, org.sortedTeams(), args), args),
  };
}

interface TeamFilterArgs {
  query?: string | null;
  rootTeamsOnly?: boolean | null;
  userLogins?: string[] | null;
  orderBy?: { direction: 'ASC' | 'DESC' } | null;
}

function filterTeams(org: FakeOrg, teams: FakeTeam[], args: TeamFilterArgs): FakeTeam[] {
  let result = teams;
  if (args.rootTeamsOnly === true) result = result.filter((t) => t.parent === null);
  const query = args.query?.toLowerCase();
  if (query !== undefined && query !== '') {
    result = result.filter((t) => t.name.toLowerCase().includes(query) || t.slug.toLowerCase().includes(query));
  }
  if (args.userLogins != null) {
    const logins = args.userLogins.map((l) => l.toLowerCase());
    result = result.filter((t) => logins.some((login) => org.teamMembership(t.slug, login) !== undefined));
  }
  if (args.orderBy?.direction === 'DESC') result = [...result].reverse();
  return result;
}

function teamConnection(org: FakeOrg, teams: FakeTeam[], args: PageArgs): Record<string, unknown> {
  return connection(
    teams.length,
    (start, end) => teams.slice(start, end),
    args,
    (team, cursor) => ({ cursor, node: teamNode(org, team) }),
    (team) => teamNode(org, team),
  );
}

function teamNode(org: FakeOrg, team: FakeTeam): Record<string, unknown> {
  return {
    databaseId: team.id,
    id: nodeId('T', team.id),
    slug: team.slug,
    name: team.name,
    combinedSlug: `${org.login}/${team.slug}`,
    description: null,
    privacy: 'VISIBLE',
    organization: () => organizationNode(org),
    parentTeam: () => {
      const parent = team.parent === null ? undefined : org.team(team.parent);
      return parent === undefined ? null : teamNode(org, parent);
    },
    childTeams: (args: PageArgs & TeamFilterArgs & { immediateOnly?: boolean }) => {
      const children = args.immediateOnly === false ? org.teamWithDescendants(team.slug).slice(1) : org.childTeams(team.slug);
      return teamConnection(org, filterTeams(org, children, { userLogins: args.userLogins ?? null, orderBy: args.orderBy ?? null }), args);
    },
    members: (
      args: PageArgs & {
        membership?: 'ALL' | 'IMMEDIATE' | 'CHILD_TEAM';
        query?: string | null;
        role?: 'MAINTAINER' | 'MEMBER' | null;
        orderBy?: { direction: 'ASC' | 'DESC' } | null;
      },
    ) => {
      let logins = org.teamMemberLogins(team.slug, args.membership ?? 'ALL');
      const query = args.query?.toLowerCase();
      if (query !== undefined && query !== '') logins = logins.filter((login) => login.includes(query));
      if (args.role != null) {
        const wanted = args.role === 'MAINTAINER' ? 'maintainer' : 'member';
        logins = logins.filter((login) => org.teamMembership(team.slug, login) === wanted);
      }
      if (args.orderBy?.direction === 'DESC') logins = [...logins].reverse();
      const list = logins;
      return connection(
        list.length,
        (start, end) => list.slice(start, end),
        args,
        (login, cursor) => {
          const user = org.member(login)?.user ?? { login, id: 0, type: 'User' as const };
          return {
            cursor,
            role: org.teamMembership(team.slug, login) === 'maintainer' ? 'MAINTAINER' : 'MEMBER',
            memberAccessResourcePath: `/orgs/${org.login}/teams/${team.slug}/members`,
            memberAccessUrl: `https://github.example/orgs/${org.login}/teams/${team.slug}/members`,
            node: userNode(user),
          };
        },
        (login) => (org.isHidden(login) ? null : userNode(org.member(login)?.user ?? { login, id: 0, type: 'User' })),
      );
    },
  };
}

/**
 * GitHub's pre-execution checks and cost: every connection needs `first` or `last` (≤ 100), the query may reach at most
 * 500,000 nodes, and the cost is the number of connection requests divided by 100 (minimum 1).
 */
function analyzeCost(
  document: DocumentNode,
  operationName: string | undefined,
  variables: Record<string, unknown>,
): { requests: number; nodeCount: number; errors: GraphQLError[] } {
  const schema = githubGraphqlSchema();
  const fragments = new Map<string, FragmentDefinitionNode>();
  const operations: OperationDefinitionNode[] = [];
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    if (definition.kind === Kind.OPERATION_DEFINITION) operations.push(definition);
  }
  const operation = operationName === undefined ? operations[0] : operations.find((o) => o.name?.value === operationName);
  const result = { requests: 0, nodeCount: 0, errors: [] as GraphQLError[] };
  const root = schema.getQueryType();
  if (operation === undefined || root === null || root === undefined) return result;

  const walk = (selectionSet: SelectionSetNode, parent: GraphQLCompositeType, multiplier: number, depth: number): void => {
    if (depth > 50) return;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition === undefined ? parent : schema.getType(selection.typeCondition.name.value);
        if (type !== undefined && isCompositeType(type)) walk(selection.selectionSet, type, multiplier, depth + 1);
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        const type = fragment === undefined ? undefined : schema.getType(fragment.typeCondition.name.value);
        if (fragment !== undefined && type !== undefined && isCompositeType(type)) {
          walk(fragment.selectionSet, type, multiplier, depth + 1);
        }
        continue;
      }
      if (!isObjectType(parent) || selection.selectionSet === undefined) continue;
      const field = parent.getFields()[selection.name.value];
      if (field === undefined) continue;
      const type: GraphQLNamedType = getNamedType(field.type);
      if (!isCompositeType(type)) continue;
      let childMultiplier = multiplier;
      if (type.name.endsWith('Connection') && field.args.some((a) => a.name === 'first')) {
        const args = getArgumentValues(field, selection, variables) as PageArgs;
        const name = selection.name.value;
        if (args.first == null && args.last == null) {
          result.errors.push(
            new GraphQLError(`You must provide a \`first\` or \`last\` value to properly paginate the \`${name}\` connection.`, {
              nodes: selection,
              extensions: { type: 'MISSING_PAGINATION_BOUNDARIES' },
            }),
          );
          continue;
        }
        for (const bound of ['first', 'last'] as const) {
          const value = args[bound];
          if (value != null && (value > MAX_PAGE_SIZE || value < 0)) {
            result.errors.push(
              new GraphQLError(
                value < 0
                  ? `\`${bound}\` on the \`${name}\` connection cannot be less than zero.`
                  : `Requesting ${value} records on the \`${name}\` connection exceeds the \`${bound}\` limit of ${MAX_PAGE_SIZE} records.`,
                { nodes: selection, extensions: { type: 'EXCESSIVE_PAGINATION' } },
              ),
            );
          }
        }
        const size = args.first ?? args.last ?? 0;
        result.requests += multiplier;
        childMultiplier = multiplier * size;
        result.nodeCount += childMultiplier;
        if (result.nodeCount > MAX_NODES) {
          result.errors.push(
            new GraphQLError(
              `By the time this query traverses to the ${name} connection, it is requesting up to ${result.nodeCount.toLocaleString('en-US')} possible nodes which exceeds the maximum limit of ${MAX_NODES.toLocaleString('en-US')}.`,
              { nodes: selection, extensions: { type: 'MAX_NODE_LIMIT_EXCEEDED' } },
            ),
          );
          return;
        }
      }
      walk(selection.selectionSet, type, childMultiplier, depth + 1);
    }
  };
  walk(operation.selectionSet, root, 1, 0);
  return result;
}

function isDryRun(document: DocumentNode, variables: Record<string, unknown>): boolean {
  const schema = githubGraphqlSchema();
  const rateLimitField = schema.getQueryType()?.getFields().rateLimit;
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION || rateLimitField === undefined) continue;
    for (const selection of definition.selectionSet.selections) {
      if (selection.kind === Kind.FIELD && selection.name.value === 'rateLimit') {
        if ((getArgumentValues(rateLimitField, selection, variables) as { dryRun?: boolean }).dryRun === true) return true;
      }
    }
  }
  return false;
}

/** Shapes an error like GitHub's: its `type` at top level and its own wording for unknown fields. */
function formatError(error: GraphQLError): Record<string, unknown> {
  const formatted: Record<string, unknown> = {};
  const type = error.extensions?.type;
  if (typeof type === 'string') formatted.type = type;
  if (error.path !== undefined) formatted.path = error.path;
  if (error.locations !== undefined) formatted.locations = error.locations;
  const undefinedField = /^Cannot query field "([^"]+)" on type "([^"]+)"\./.exec(error.message);
  if (undefinedField !== null) {
    formatted.extensions = { code: 'undefinedField', typeName: undefinedField[2], fieldName: undefinedField[1] };
    formatted.message = `Field '${undefinedField[1]}' doesn't exist on type '${undefinedField[2]}'`;
  } else {
    formatted.message = error.message;
  }
  return formatted;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
