import { POLICY_DEFAULTS } from '../policy/policy-schema.js';

/**
 * Whether comments in this repository are read for `/copilot` commands: those named in the
 * policy's `commands.repositories` (the `.github` repository when it names none). Names are
 * compared case-insensitively; an `owner/name` on either side is compared by its name.
 */
export function isCommandRepository(
  repoName: string,
  repositories: readonly string[] = POLICY_DEFAULTS.commandRepositories,
): boolean {
  const name = repositoryName(repoName);
  return repositories.some((allowed) => repositoryName(allowed) === name);
}

function repositoryName(fullOrShort: string): string {
  const slash = fullOrShort.lastIndexOf('/');
  return fullOrShort.slice(slash + 1).trim().toLowerCase();
}
