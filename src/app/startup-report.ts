import type { Config } from './config.js';

/** What the configuration lacks for this process to do its work, and what happens meanwhile. */
export interface ConfigurationGaps {
  /** The variables to set, by name (a private key may come from either of two). */
  missing: string[];
  /** What happens to GitHub's deliveries until they are set, in words an operator acts on. */
  deliveries: string;
}

/**
 * Lists the variables a GitHub App needs that are not set, and says truthfully what happens to
 * deliveries meanwhile: without a webhook secret the intake refuses every delivery (it cannot
 * verify one); with the secret but without the app's id and key, verified deliveries are stored
 * and wait. Undefined when nothing is missing. Used for the start-up warning and for `/readyz`.
 */
export function configurationGaps(config: Config): ConfigurationGaps | undefined {
  const missing: string[] = [];
  if (!config.appId) missing.push('APP_ID');
  if (!config.privateKey) missing.push('PRIVATE_KEY (or PRIVATE_KEY_PATH)');
  if (config.webhookSecrets.length === 0) missing.push('WEBHOOK_SECRET');
  if (missing.length === 0) return undefined;
  let deliveries: string;
  if (config.webhookSecrets.length === 0) {
    // The recovery job would not bring these back: its scan moves on while they are refused.
    deliveries =
      'every webhook delivery is refused (503 not_configured) and not stored until WEBHOOK_SECRET is set; ' +
      "GitHub does not resend them by itself (they can be redelivered from the app's advanced settings for three days)";
  } else {
    deliveries = 'verified deliveries are stored and wait; they are processed once APP_ID and the private key are set';
  }
  return { missing, deliveries };
}

/** The one start-up line that names every missing variable, or undefined when none is. */
export function configurationWarning(config: Config): string | undefined {
  const gaps = configurationGaps(config);
  if (!gaps) return undefined;
  return `GitHub App not fully configured, missing ${gaps.missing.join(', ')}: ${gaps.deliveries}. See "Registering the GitHub App" in the README.`;
}

/** The `/readyz` check of the configuration: failing, naming what is missing, until it is complete. */
export function configurationReadiness(config: Config): { name: string; ok: boolean; detail?: string } {
  const gaps = configurationGaps(config);
  if (!gaps) return { name: 'github_app', ok: true };
  return { name: 'github_app', ok: false, detail: `missing ${gaps.missing.join(', ')}: ${gaps.deliveries}` };
}
