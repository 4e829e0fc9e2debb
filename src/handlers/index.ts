import type { ApplicationFunction } from 'probot';
import { registerCheckRerequestedHandlers } from './check-rerequested.js';
import type { HandlerDeps } from './handler-deps.js';
import { registerInstallationHandlers } from './installation.js';
import { registerIssueCommentCommandHandlers } from './issue-comment-command.js';
import { registerMembershipHandlers } from './org-membership.js';
import { registerOrganizationRenamedHandler } from './organization-renamed.js';
import { registerPolicyPullRequestHandlers } from './policy-pull-request.js';
import { registerPolicyPushHandlers } from './policy-push.js';

export type { HandlerDeps } from './handler-deps.js';

/** Seat governance's handlers: installations (the tenants), the mirror's upkeep, pushed policies. */
export function governanceHandlers(deps: HandlerDeps): ApplicationFunction {
  return (app) => {
    registerInstallationHandlers(app, deps);
    registerMembershipHandlers(app, deps);
    registerOrganizationRenamedHandler(app, deps);
    registerPolicyPushHandlers(app, deps);
  };
}

/** The `ceos/policy` check's handlers: pull requests to the policy repository and re-runs. */
export function checkHandlers(deps: HandlerDeps): ApplicationFunction {
  return (app) => {
    registerPolicyPullRequestHandlers(app, deps);
    registerCheckRerequestedHandlers(app, deps);
  };
}

/** Slash commands' handler: `/copilot …` issue comments. */
export function commandHandlers(deps: HandlerDeps): ApplicationFunction {
  return (app) => {
    registerIssueCommentCommandHandlers(app, deps);
  };
}
