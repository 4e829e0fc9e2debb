import { createPrivateKey } from 'node:crypto';
import type { Logger } from 'pino';
import { ProbotOctokit } from 'probot';

/** What GitHub said about the app's id and key, checked once at start. */
export type AppCredentialsVerdict =
  | { ok: true; app: { id: number; slug: string | undefined; name: string } }
  | {
      ok: false;
      /** True when the credentials themselves are wrong; false when GitHub could not be asked (try later). */
      definitive: boolean;
      /** One sentence naming the variable at fault and what is wrong. */
      problem: string;
    };

/**
 * Whether `pem` is an RSA private key Node can sign with. A key pasted badly (cut short, wrong
 * line breaks, a public key) fails here with OpenSSL's ERR_OSSL_UNSUPPORTED, which says nothing
 * to an operator; this names the variable instead. Returns the problem, or undefined.
 */
export function privateKeyProblem(pem: string): string | undefined {
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'rsa') return `PRIVATE_KEY is a ${key.asymmetricKeyType ?? 'non-RSA'} key, not the RSA private key GitHub issued for the app`;
    return undefined;
  } catch (error) {
    const code = (error as { code?: string }).code;
    return `PRIVATE_KEY is not a valid RSA private key (${code ?? (error as Error).message}); paste the .pem file GitHub generated for the app whole, or set PRIVATE_KEY_PATH to it`;
  }
}

/**
 * Authenticates as the app once (`GET /app` with the app's JWT, GitHub's "get the authenticated
 * app") so a wrong key or app id is reported at start rather than as failing jobs later.
 */
export async function verifyAppCredentials(input: {
  appId: string;
  privateKey: string;
  /** REST base URL (github.com or a GitHub Enterprise Server's /api/v3). */
  baseUrl: string;
  log: Logger;
  signal?: AbortSignal;
}): Promise<AppCredentialsVerdict> {
  const keyProblem = privateKeyProblem(input.privateKey);
  if (keyProblem) return { ok: false, definitive: true, problem: keyProblem };
  const octokit = new ProbotOctokit({
    auth: { appId: Number(input.appId), privateKey: input.privateKey },
    baseUrl: input.baseUrl,
    log: input.log.child({ component: 'app-credentials' }) as never,
    // One question, answered or not: retrying belongs to whoever asks again.
    retry: { enabled: false },
    throttle: { enabled: false },
  });
  try {
    const { data } = await octokit.request('GET /app', { request: { signal: input.signal } });
    if (!data) return { ok: false, definitive: false, problem: 'GitHub answered GET /app without an app' };
    return { ok: true, app: { id: data.id, slug: data.slug, name: data.name } };
  } catch (error) {
    const status = (error as { status?: number }).status;
    const message = (error as Error).message;
    if (status === 401 || status === 403) {
      return {
        ok: false,
        definitive: true,
        problem: `APP_ID ${input.appId} was refused by GitHub (${status}: ${message}): the private key does not belong to this app, or the app id is wrong`,
      };
    }
    if (status === 404) {
      return { ok: false, definitive: true, problem: `GitHub at ${input.baseUrl} answered 404 to GET /app: check GHE_HOST and GHE_PROTOCOL` };
    }
    return {
      ok: false,
      definitive: false,
      problem: `could not ask GitHub at ${input.baseUrl} to check APP_ID and the private key (${status ? `HTTP ${status}: ` : ''}${message})`,
    };
  }
}
