import { type ApplicationFunction, Probot, ProbotOctokit } from 'probot';
import type { Logger } from 'pino';
import { currentDeadline } from '../engine/job-deadline.js';
import { abortWithDeadline, requestBudget } from '../github/abortable-octokit.js';
import { RETRY_OPTIONS, rateLimitHandlers } from '../github/rate-limit-handlers.js';
import type { SharedRateLimit } from '../github/shared-rate-limit.js';
import type { Config } from './config.js';
import type { Metrics } from './metrics.js';
import { traceHandlers } from './tracing-deliveries.js';
import { traceOctokitRequests } from './tracing-octokit.js';

/** Options of the Probot instance beyond the configuration. */
export interface ProbotOptions {
  /** Turns off Octokit's throttling and retries (tests that assert exact request sequences). */
  throttle?: boolean;
  /** GitHub's rate limits shared with the other instances on the database (part of throttling: off with it). */
  sharedRateLimit?: SharedRateLimit;
}

/**
 * Creates the Probot instance that runs handlers for stored deliveries. It never receives HTTP
 * itself: intake verifies and stores, and workers hand deliveries to `probot.receive`.
 */
export async function createProbot(
  config: Config,
  appFn: ApplicationFunction,
  metrics: Metrics,
  log: Logger,
  options: ProbotOptions = {},
): Promise<Probot> {
  const octokitLog = log.child({ component: 'octokit' });
  // An installation's Octokit sends each attempt through the shared budget, below throttling and
  // retries, so every request GitHub sees is counted; the app's own (JWT) requests are not per installation.
  const sharedFetch = (instanceOptions: Record<string, unknown>) => {
    const installationId = (instanceOptions.auth as { installationId?: number | string } | undefined)?.installationId;
    if (!options.sharedRateLimit || options.throttle === false || installationId === undefined) return {};
    const request = instanceOptions.request as { fetch?: typeof fetch } | undefined;
    return { request: { ...request, fetch: options.sharedRateLimit.fetchFor(String(installationId), request?.fetch) } };
  };
  const Octokit = ProbotOctokit.plugin((octokit) => {
    const record = (headers: Record<string, unknown> | undefined) => {
      const remaining = Number(headers?.['x-ratelimit-remaining']);
      const resource = headers?.['x-ratelimit-resource'];
      if (Number.isFinite(remaining)) {
        metrics.githubRateLimitRemaining.set({ resource: typeof resource === 'string' ? resource : 'core' }, remaining);
      }
    };
    octokit.hook.after('request', (response) => record(response.headers as Record<string, unknown>));
    octokit.hook.error('request', (error) => {
      record((error as { response?: { headers?: Record<string, unknown> } }).response?.headers);
      throw error;
    });
    // Every request carries the signal of the delivery or job it is made in, and a rate-limit
    // wait longer than that job's time left hands the job back rather than outliving its deadline.
    abortWithDeadline(octokit as never, currentDeadline);
    // Last, so its span covers the throttling waits and retries of the call.
    if (config.tracing.tracesUrl) traceOctokitRequests(octokit as never);
  }).defaults((instanceOptions: Record<string, unknown>) => ({
    ...instanceOptions,
    ...sharedFetch(instanceOptions),
    // Probot's own rate-limit callbacks retry forever (or never, for secondary limits): bound them.
    throttle:
      options.throttle === false
        ? { enabled: false }
        : { ...(instanceOptions.throttle as object | undefined), ...rateLimitHandlers({ log: octokitLog, budgetOf: requestBudget }) },
    retry:
      options.throttle === false
        ? { enabled: false }
        : { ...(instanceOptions.retry as object | undefined), doNotRetry: [...RETRY_OPTIONS.doNotRetry] },
  }));
  const probot = new Probot({
    appId: config.appId,
    privateKey: config.privateKey,
    // Probot verifies nothing here (intake did), but its webhooks module requires a secret.
    secret: config.webhookSecrets[0] ?? 'unused',
    baseUrl: config.githubApiUrl,
    log: log.child({ component: 'probot' }) as never,
    Octokit: Octokit as typeof ProbotOctokit,
  });
  if (config.tracing.tracesUrl) traceHandlers(probot);
  await probot.load(appFn);
  return probot;
}
