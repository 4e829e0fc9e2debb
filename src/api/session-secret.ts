import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../app/config.js';

// One secret per configuration, so the session routes, the dashboard and the API sign and check
// cookies alike within a process.
const generated = new WeakMap<Config, string>();

/**
 * The secret that signs session cookies: `CEOS_SESSION_SECRET`, or one made at start (and said
 * so in the log: every session then ends when the process restarts, and instances behind one
 * load balancer would not accept each other's cookies).
 */
export function sessionSecret(config: Config, log: Logger): string {
  if (config.dashboard.sessionSecret) return config.dashboard.sessionSecret;
  let secret = generated.get(config);
  if (secret === undefined) {
    secret = randomBytes(32).toString('base64url');
    generated.set(config, secret);
    log.warn('CEOS_SESSION_SECRET is not set: a secret was made for this process, so dashboard sessions end when it restarts');
  }
  return secret;
}
