import type { Command } from 'commander';
import type { Config } from '../app/config.js';
import { resealSecrets } from '../security/reseal-secrets.js';
import { secretBoxOf } from '../security/secret-box-config.js';
import type { WithDatabase } from './audit-command.js';
import { CliUserError } from './plans-command.js';

/** Adds `secrets rotate`: re-seals stored secrets under CEOS_ENCRYPTION_KEY. */
export function registerSecretsCommands(program: Command, withDatabase: WithDatabase, out: (text: string) => void, config: () => Promise<Config>): void {
  const secrets = program.command('secrets').description('secrets stored encrypted in the database');
  secrets
    .command('rotate')
    .description('re-encrypt every stored secret under CEOS_ENCRYPTION_KEY (keep the old key in CEOS_ENCRYPTION_KEYS_PREVIOUS until this has run)')
    .action(async () => {
      const box = secretBoxOf((await config()).notifications);
      if (!box) throw new CliUserError('CEOS_ENCRYPTION_KEY is not set: set it to the new key, and the old one in CEOS_ENCRYPTION_KEYS_PREVIOUS, then run this again');
      await withDatabase(async ({ db }) => {
        const result = await resealSecrets(db, box);
        out(`${result.resealed} ${result.resealed === 1 ? 'subscription' : 'subscriptions'} re-encrypted; every readable value is now under key ${result.keyId}`);
        if (result.unreadable.length > 0) {
          throw new CliUserError(
            `${result.unreadable.length} left as they were, sealed under a key that is not configured: ${result.unreadable.map((u) => `${u.id} (${u.error})`).join('; ')}`,
          );
        }
      });
    });
}
