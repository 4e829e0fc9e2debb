import { describeApiKey } from '../../api/api-key-token.js';
import { apiPlugin } from '../../api/api-plugin.js';
import { API_ROUTES } from '../../api/route-table.js';
import { ensureBootstrapKey } from '../../db/api-keys.js';
import { defineCapability } from '../capability.js';

/**
 * The management API under /api/v1, its OpenAPI document and the reference at /docs. At start
 * it makes sure the configured bootstrap admin key exists (its value is never logged).
 */
export const apiCapability = defineCapability({
  name: 'api',
  register({ config, db, boss, log }) {
    return {
      async start() {
        if (config.api.bootstrapAdminKey === undefined) return;
        const { key, created } = await ensureBootstrapKey(db, describeApiKey(config.api.bootstrapAdminKey));
        log.info({ keyId: key.id, prefix: key.prefix, created }, 'bootstrap admin API key is in place');
      },
      routes: (server) => apiPlugin(server, { db, boss, log, config, routes: API_ROUTES }),
    };
  },
});
