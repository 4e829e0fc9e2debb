import { type AppCredentialsVerdict, verifyAppCredentials } from '../../github/verify-app-credentials.js';
import { defineCapability } from '../capability.js';
import { hasAppCredentials } from '../config.js';

// How long a check that could not reach GitHub waits before `/readyz` asks again.
const RECHECK_MS = 60_000;

/**
 * The GitHub App's credentials, checked against GitHub once at start (`GET /app` with the app's
 * JWT): a key that is not an RSA key, or an id GitHub refuses, is reported in one log line and by
 * `/readyz` (503, naming the problem), instead of as failing jobs later. A check that could not
 * reach GitHub passes with a note and is asked again, at most once a minute, when `/readyz` is
 * called.
 */
export const appCredentialsCapability = defineCapability({
  name: 'app-credentials',
  register({ config, log }) {
    const controller = new AbortController();
    let verdict: Promise<AppCredentialsVerdict> | undefined;
    let checkedAt = 0;

    const check = (first: boolean) => {
      checkedAt = Date.now();
      verdict = verifyAppCredentials({
        appId: config.appId!,
        privateKey: config.privateKey!,
        baseUrl: config.githubApiUrl,
        log,
        signal: AbortSignal.any([controller.signal, AbortSignal.timeout(10_000)]),
      }).then((result) => {
        if (result.ok) log.info({ app: result.app }, 'GitHub App authenticated');
        else if (result.definitive) log.error({ problem: result.problem }, `GitHub App credentials refused: ${result.problem}`);
        // A later check that still cannot reach GitHub says nothing new.
        else if (first) log.warn({ problem: result.problem }, `GitHub App credentials not checked yet: ${result.problem}`);
        return result;
      });
      return verdict;
    };

    return {
      async start() {
        // Not awaited: start-up does not wait on GitHub. The log line comes when GitHub answers.
        if (hasAppCredentials(config)) void check(true);
      },
      readiness: [
        async () => {
          if (!verdict) return { name: 'github_app_credentials', ok: true, detail: 'not checked: credentials not configured' };
          let result = await verdict;
          if (!result.ok && !result.definitive && Date.now() - checkedAt > RECHECK_MS) result = await check(false);
          if (result.ok) return { name: 'github_app_credentials', ok: true };
          // GitHub out of reach says nothing about the credentials, and taking every instance out
          // of the load balancer for it would stop the intake too: only a refusal fails the check.
          if (!result.definitive) return { name: 'github_app_credentials', ok: true, detail: `not verified yet: ${result.problem}` };
          return { name: 'github_app_credentials', ok: false, detail: result.problem };
        },
      ],
      async shutdown() {
        controller.abort();
      },
    };
  },
});
