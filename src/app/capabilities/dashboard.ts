import { sessionRoutes } from '../../api/routes/session-routes.js';
import { sessionSecret } from '../../api/session-secret.js';
import { dashboardPlugin, signInPageFor } from '../../dashboard/dashboard-plugin.js';
import { loadStaticAssets } from '../../dashboard/static-assets.js';
import { defineCapability } from '../capability.js';

/**
 * The web dashboard: its pages and static assets, sign-in with GitHub, and the session routes
 * (`POST`/`DELETE /api/v1/session`), which sit outside the API's route table because signing in
 * cannot need a key. Each is an encapsulated plugin beside the API's, so the API's key check does
 * not reach them; they apply the API's network filter themselves.
 */
export const dashboardCapability = defineCapability({
  name: 'dashboard',
  register({ config, db, log }) {
    const assets = loadStaticAssets();
    // Made (and, without CEOS_SESSION_SECRET, logged) at start rather than on the first request.
    sessionSecret(config, log);
    const deps = { db, config, log };
    return {
      async routes(server) {
        await server.register(async (scope) => sessionRoutes(scope, { ...deps, signInPage: signInPageFor({ assets, config }) }));
        await server.register(async (scope) => dashboardPlugin(scope, { ...deps, assets }));
      },
    };
  },
});
