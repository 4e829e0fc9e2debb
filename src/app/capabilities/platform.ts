import { pingDatabase } from '../../db/connect.js';
import { pendingMigrations } from '../../db/migrate.js';
import { defineCapability } from '../capability.js';
import { configurationReadiness } from '../startup-report.js';

/**
 * What every instance needs before any capability can work: a reachable database with every
 * migration applied, and a configured GitHub App. Its readiness checks say which is missing.
 */
export const platformCapability = defineCapability({
  name: 'platform',
  register({ config, database }) {
    return {
      readiness: [
        async () => ({ name: 'database', ok: await pingDatabase(database.db) }),
        async () => {
          // Caught here so the failing check keeps its name when the database is unreachable.
          const pending = await pendingMigrations(database.db, database.schema).catch(() => undefined);
          if (!pending) return { name: 'migrations', ok: false, detail: 'migration state unreadable' };
          return { name: 'migrations', ok: pending.length === 0, detail: pending.length ? `pending: ${pending.join(', ')}` : undefined };
        },
        async () => configurationReadiness(config),
      ],
    };
  },
});
