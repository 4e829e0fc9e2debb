import { findInstallation, orgKey } from '../db/installations.js';
import type { PolicyLocation } from '../jobs/reconcile-org.js';
import type { HandlerDeps } from './handler-deps.js';

/** What the handlers of the policy repository's events need: the handlers' deps and where policies live. */
export interface PolicyHandlerDeps extends HandlerDeps {
  /** The policy repository and file of every organization. */
  policyLocation: PolicyLocation;
}

/** The parts of an event payload that say which repository and installation it is about. */
export interface RepositoryEventPayload {
  repository?: { name: string; owner: { login: string } | null } | null;
  installation?: { id: number } | null;
}

/** A governed organization's policy repository an event is about. */
export interface PolicyRepositoryTarget {
  /** Organization key (lower-case login). */
  org: string;
  installationId: number;
  /** Owner login, as GitHub spells it. */
  owner: string;
  /** Repository name, as GitHub spells it. */
  repo: string;
}

/**
 * The organization whose policy repository an event is about, or undefined when the event is
 * about another repository, or CEOS does not govern the organization (no active installation).
 */
export async function governedPolicyRepository(
  deps: PolicyHandlerDeps,
  payload: RepositoryEventPayload,
): Promise<PolicyRepositoryTarget | undefined> {
  const repository = payload.repository;
  if (!repository?.owner || !payload.installation) return undefined;
  // Repository names are case-insensitive on GitHub.
  if (repository.name.toLowerCase() !== deps.policyLocation.repository.toLowerCase()) return undefined;
  const org = orgKey(repository.owner.login);
  const installation = await findInstallation(deps.db, payload.installation.id);
  if (!installation || installation.status !== 'active' || installation.org !== org || installation.account_type !== 'Organization') {
    return undefined;
  }
  return { org, installationId: payload.installation.id, owner: repository.owner.login, repo: repository.name };
}
