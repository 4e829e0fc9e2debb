/** Repositories whose issues and pull requests take `/copilot` commands when the policy names none. */
export const DEFAULT_COMMAND_REPOSITORIES: readonly string[] = ['.github'];

/**
 * Whether comments in this repository are read for `/copilot` commands. Names are compared
 * case-insensitively; an `owner/name` on either side is compared by its name.
 */
export function isCommandRepository(
  repoName: string,
  repositories: readonly string[] = DEFAULT_COMMAND_REPOSITORIES,
): boolean {
  const name = repositoryName(repoName);
  return repositories.some((allowed) => repositoryName(allowed) === name);
}

function repositoryName(fullOrShort: string): string {
  const slash = fullOrShort.lastIndexOf('/');
  return fullOrShort.slice(slash + 1).trim().toLowerCase();
}
