import type { ApiRoute } from './api-route.js';
import { auditRoutes } from './routes/audit-routes.js';
import { deliveryRoutes } from './routes/delivery-routes.js';
import { installationRoutes } from './routes/installations-routes.js';
import { keyRoutes } from './routes/key-routes.js';
import { orgRoutes } from './routes/org-routes.js';
import { overrideRoutes } from './routes/override-routes.js';
import { planRoutes } from './routes/plan-routes.js';
import { requestRoutes } from './routes/request-routes.js';
import { usageRefreshRoutes } from './routes/usage-refresh-routes.js';
import { usageRoutes } from './routes/usage-routes.js';
import { webhookRoutes } from './routes/webhooks-routes.js';

/** Every route of the management API: the OpenAPI document, docs/api.md's table and the role tests come from it. */
export const API_ROUTES: readonly ApiRoute[] = [
  ...installationRoutes,
  ...orgRoutes,
  ...planRoutes,
  ...overrideRoutes,
  ...requestRoutes,
  ...auditRoutes,
  ...deliveryRoutes,
  ...keyRoutes,
  ...usageRefreshRoutes,
  ...usageRoutes,
  ...webhookRoutes,
];
