import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import {
  type GitHubBlock,
  type WriteLimits,
  githubBlockRemaining,
  recordGitHubBlock,
  releaseWriteSlot,
  reserveWriteSlot,
} from '../db/github-budget.js';
import type { Database } from '../db/schema.js';

/** Options of {@link createSharedRateLimit}. */
export interface SharedRateLimitOptions {
  db: Kysely<Database>;
  /** The secondary limit on content-creating requests, per installation, across every instance. */
  limits: WriteLimits;
  log: Pick<Logger, 'warn'>;
  /**
   * Longest wait held inside a request, in milliseconds (10 s unless told). A longer one is answered
   * as GitHub answers a rate limit, so the throttling callbacks (`rateLimitHandlers`) decide: wait
   * and retry, give the job back, or fail it, exactly as if GitHub itself had said so.
   */
  maxHoldMs?: number;
  /** How long this process trusts what it last read of an installation's block, for reads (1 s unless told). */
  blockCacheMs?: number;
  /** Told of each request held back: `waited` inside it, or `deferred` (answered as a rate limit). */
  onHold?: (outcome: 'waited' | 'deferred') => void;
}

/** The GitHub budget shared by every instance on the database, applied per installation Octokit. */
export interface SharedRateLimit {
  /** A `fetch` for the installation's Octokit (`request.fetch`), wrapping `fetch` (the global one unless told). */
  fetchFor(installationId: string, fetch?: typeof globalThis.fetch): typeof globalThis.fetch;
}

/**
 * Whether a request generates content in GitHub's sense (POST, PATCH, PUT, DELETE), which is what the
 * secondary limit of 80 a minute and 500 an hour counts. Not counted: minting the installation token,
 * and GraphQL, which CEOS uses for queries only.
 */
export function isContentCreating(method: string, pathname: string): boolean {
  if (!['POST', 'PATCH', 'PUT', 'DELETE'].includes(method.toUpperCase())) return false;
  if (pathname.endsWith('/graphql')) return false;
  return !/\/app\/installations\/[^/]+\/access_tokens$/.test(pathname);
}

/**
 * What a GitHub answer says about waiting: a secondary limit (403 or 429 with `retry-after`), or the
 * primary one spent (`x-ratelimit-remaining: 0`, until `x-ratelimit-reset`).
 */
export function blockFromResponse(status: number, headers: Pick<Headers, 'get'>): GitHubBlock | undefined {
  const retryAfter = Number(headers.get('retry-after'));
  if ((status === 403 || status === 429) && headers.get('retry-after') !== null && Number.isFinite(retryAfter)) {
    return { reason: 'secondary', seconds: Math.max(0, retryAfter) };
  }
  const reset = Number(headers.get('x-ratelimit-reset'));
  if (headers.get('x-ratelimit-remaining') === '0' && Number.isFinite(reset) && reset > 0) {
    return { reason: 'primary', untilEpochSeconds: reset };
  }
  return undefined;
}

// The answer GitHub would give, so that @octokit/plugin-throttling recognizes it: the secondary
// message names "secondary rate limit"; the primary one has x-ratelimit-remaining 0 and the reset.
function rateLimitAnswer(reason: 'primary' | 'secondary', waitMs: number, installationId: string): Response {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', 'x-ceos-shared-rate-limit': reason };
  let message: string;
  if (reason === 'primary') {
    headers['x-ratelimit-remaining'] = '0';
    headers['x-ratelimit-reset'] = String(Math.ceil((Date.now() + waitMs) / 1000));
    message = `API rate limit exceeded for installation ID ${installationId}. (Held by CEOS: GitHub said so to an instance on this database.)`;
  } else {
    headers['retry-after'] = String(seconds);
    message = `You have exceeded a secondary rate limit. (Held by CEOS: the installation's shared budget is spent for ${seconds} s.)`;
  }
  return new Response(JSON.stringify({ message, documentation_url: 'https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api' }), {
    status: 403,
    headers,
  });
}

function pause(ms: number, signal: AbortSignal | null | undefined): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * GitHub's rate limits shared by every instance on one database. Each content-creating request of
 * an installation first reserves its start in the database (`reserveWriteSlot`), so the instances
 * together keep to the secondary limit; any request whose answer says to wait (a secondary limit's
 * `retry-after`, or the primary limit spent) records the block, and every instance then holds that
 * installation's requests until it ends. It sits at `fetch`, below the throttling and retry plugins,
 * so every attempt they send is counted.
 */
export function createSharedRateLimit({ db, limits, log, maxHoldMs = 10_000, blockCacheMs = 1000, onHold }: SharedRateLimitOptions): SharedRateLimit {
  const blocks = new Map<string, { untilMs: number; reason: 'primary' | 'secondary'; checkedAt: number }>();

  const knownBlock = async (installationId: string) => {
    const cached = blocks.get(installationId);
    if (cached && Date.now() - cached.checkedAt < blockCacheMs) return cached;
    const { remainingMs, reason } = await githubBlockRemaining(db, installationId);
    const fresh = { untilMs: Date.now() + remainingMs, reason: reason ?? 'secondary', checkedAt: Date.now() };
    blocks.set(installationId, fresh);
    return fresh;
  };

  const remember = async (installationId: string, response: Response) => {
    const block = blockFromResponse(response.status, response.headers);
    if (!block) return;
    try {
      await recordGitHubBlock(db, installationId, block);
      blocks.delete(installationId);
    } catch (error) {
      // GitHub's answer reaches the caller anyway; only the other instances learn of it later.
      log.warn({ err: error, installationId, reason: block.reason }, 'could not record a GitHub rate limit for the other instances');
    }
  };

  return {
    fetchFor(installationId, fetch = globalThis.fetch) {
      return async (input, init) => {
        const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
        const url = new URL(input instanceof Request ? input.url : String(input));
        const signal = init?.signal ?? undefined;
        if (isContentCreating(method, url.pathname)) {
          const slot = await reserveWriteSlot(db, installationId, limits);
          if (slot.waitMs > maxHoldMs) {
            await releaseWriteSlot(db, slot.id);
            const { untilMs, reason } = await knownBlock(installationId);
            log.warn({ installationId, request: `${method} ${url.pathname}`, waitMs: Math.round(slot.waitMs) }, "GitHub budget shared by the instances is spent; answering as GitHub would");
            onHold?.('deferred');
            return rateLimitAnswer(untilMs > Date.now() ? reason : 'secondary', slot.waitMs, installationId);
          }
          // Waits under a few milliseconds are the database's own round trip, not a hold.
          if (slot.waitMs > 5) onHold?.('waited');
          try {
            await pause(slot.waitMs, signal);
          } catch (error) {
            await releaseWriteSlot(db, slot.id).catch(() => undefined);
            throw error;
          }
        } else {
          // A read goes ahead when the block cannot be looked up: the database being away must
          // not stop what needs no budget, and GitHub would answer a spent limit itself.
          const { untilMs, reason } = await knownBlock(installationId).catch((error: unknown) => {
            log.warn({ err: error, installationId }, 'could not read the shared GitHub rate limit; sending the read anyway');
            return { untilMs: 0, reason: 'secondary' as const };
          });
          const waitMs = untilMs - Date.now();
          if (waitMs > maxHoldMs) {
            onHold?.('deferred');
            return rateLimitAnswer(reason, waitMs, installationId);
          }
          if (waitMs > 0) onHold?.('waited');
          await pause(waitMs, signal);
        }
        const response = await fetch(input, init);
        await remember(installationId, response);
        return response;
      };
    },
  };
}
