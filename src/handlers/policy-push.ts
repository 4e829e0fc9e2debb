import type { Probot, ProbotOctokit } from 'probot';
import { fetchPolicyFile } from '../github/fetch-policy-file.js';
import { enqueueReconcile } from '../jobs/reconcile-queue.js';
import { type PushEvent, parsePayload, pushEventSchema } from './payload-schemas.js';
import { type PolicyHandlerDeps, type PolicyRepositoryTarget, governedPolicyRepository } from './policy-repository.js';

// GitHub lists at most 2,048 commits in a push, and 3,000 changed files per commit.
const MAX_LISTED_COMMITS = 2048;
const MAX_LISTED_FILES = 3000;
const NO_COMMIT = /^0+$/;

/** What the push says about the policy file: changed, unchanged, or not known from the payload alone. */
function listedChange(payload: PushEvent, path: string): 'changed' | 'unchanged' | 'unknown' {
  const commits = payload.commits;
  if (commits.some((c) => [...(c.added ?? []), ...(c.modified ?? []), ...(c.removed ?? [])].includes(path))) return 'changed';
  const truncated =
    commits.length === 0 ||
    commits.length >= MAX_LISTED_COMMITS ||
    commits.some((c) => (c.added?.length ?? 0) + (c.modified?.length ?? 0) + (c.removed?.length ?? 0) >= MAX_LISTED_FILES);
  return truncated ? 'unknown' : 'unchanged';
}

/** Compares the policy file before and after the push, for a push whose commit list does not tell. */
async function policyDiffers(octokit: ProbotOctokit, target: PolicyRepositoryTarget, path: string, before: string, after: string): Promise<boolean> {
  const location = { owner: target.owner, repo: target.repo, path };
  const [old, current] = await Promise.all([
    NO_COMMIT.test(before) ? Promise.resolve({ found: false as const, ref: null }) : fetchPolicyFile(octokit, { ...location, ref: before }),
    fetchPolicyFile(octokit, { ...location, ref: after }),
  ]);
  if (old.found !== current.found) return true;
  return old.found && current.found ? old.sha !== current.sha : false;
}

/**
 * A push to the policy repository's default branch that changes the policy file queues a
 * reconciliation, reported as `ceos/reconcile` on the pushed commit. Other branches and pushes
 * that leave the policy alone are ignored.
 */
export function registerPolicyPushHandlers(app: Probot, deps: PolicyHandlerDeps): void {
  app.on('push', async (context) => {
    const payload = parsePayload(pushEventSchema, 'push', context.payload);
    const branch = payload.repository.default_branch;
    if (payload.deleted || !branch || payload.ref !== `refs/heads/${branch}` || NO_COMMIT.test(payload.after)) return;
    const target = await governedPolicyRepository(deps, payload);
    if (!target) return;
    const path = deps.policyLocation.path.replace(/^\/+/, '');
    const listed = listedChange(payload, path);
    const changed =
      listed === 'changed' || (listed === 'unknown' && (await policyDiffers(context.octokit, target, path, payload.before, payload.after)));
    if (!changed) return;
    const actor = payload.pusher?.name || payload.sender?.login || 'github';
    await enqueueReconcile(deps.boss, {
      org: target.org,
      installationId: target.installationId,
      trigger: 'push',
      actor,
      report: { kind: 'reconcile_check', repo: payload.repository.full_name, sha: payload.after },
    });
    deps.log.info({ org: target.org, sha: payload.after, actor }, 'policy pushed: reconciliation queued');
  });
}
