import { withTenant } from '../../db/tenancy.js';
import type { ApiRoute } from '../api-route.js';

const scopedRoutes = new WeakSet<ApiRoute>();

/**
 * Runs an organization route's handler in a tenant transaction of the organization's installation
 * (see src/db/tenancy.ts): every query it makes through `deps.db` sees that installation's rows
 * only, whatever its `where` clauses say, and cannot touch global tables. For reads that answer in
 * full before returning: a handler that streams after it returns, or queues jobs, stays outside.
 */
export function tenantScoped(route: ApiRoute): ApiRoute {
  if (!route.org) throw new Error(`${route.method} ${route.url} names no organization; only organization routes run in a tenant transaction`);
  const scoped: ApiRoute = {
    ...route,
    handler: (ctx) => {
      const installation = ctx.installation;
      if (!installation) throw new Error(`${route.method} ${route.url} reached its handler without the organization's installation`);
      return withTenant(ctx.deps.db, installation.id, (trx) => route.handler({ ...ctx, deps: { ...ctx.deps, db: trx } }));
    },
  };
  scopedRoutes.add(scoped);
  return scoped;
}

/** Whether a route of the table runs its handler in a tenant transaction. */
export function isTenantScoped(route: ApiRoute): boolean {
  return scopedRoutes.has(route);
}
