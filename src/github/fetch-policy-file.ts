import type { ProbotOctokit } from 'probot';

type Octokit = InstanceType<typeof ProbotOctokit>;

/** The policy file as GitHub holds it at a ref, or absent. */
export type PolicyFile = { found: true; text: string; sha: string; ref: string | null } | { found: false; ref: string | null };

/**
 * Reads the policy file from the organization's policy repository. A 404 (no repository, no file)
 * means the organization has no policy; any other failure is thrown, so that an outage never
 * becomes a verdict.
 */
export async function fetchPolicyFile(
  octokit: Octokit,
  location: { owner: string; repo: string; path: string; ref?: string },
): Promise<PolicyFile> {
  try {
    const response = await octokit.request('GET /repos/{owner}/{repo}/contents/{path}', {
      owner: location.owner,
      repo: location.repo,
      path: location.path,
      ...(location.ref ? { ref: location.ref } : {}),
    });
    const data = response.data as { type?: string; content?: string; encoding?: string; sha: string };
    if (Array.isArray(response.data) || data.type !== 'file') return { found: false, ref: location.ref ?? null };
    const text = data.encoding === 'base64' ? Buffer.from(data.content ?? '', 'base64').toString('utf8') : (data.content ?? '');
    return { found: true, text, sha: data.sha, ref: location.ref ?? null };
  } catch (error) {
    if ((error as { status?: number }).status === 404) return { found: false, ref: location.ref ?? null };
    throw error;
  }
}
