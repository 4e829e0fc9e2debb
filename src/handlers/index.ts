import type { ApplicationFunction } from 'probot';
import { registerCheckRerequestedHandlers } from './check-rerequested.js';
import type { HandlerDeps } from './handler-deps.js';
import { registerInstallationHandlers } from './installation.js';
import { registerIssueCommentCommandHandlers } from './issue-comment-command.js';
import { registerMembershipHandlers } from './org-membership.js';
import { registerPolicyPullRequestHandlers } from './policy-pull-request.js';
import { registerPolicyPushHandlers } from './policy-push.js';

export type { HandlerDeps } from './handler-deps.js';

/** The product's webhook handlers, as a Probot app function. */
export function createAppFunction(deps: HandlerDeps): ApplicationFunction {
  return (app) => {
    registerInstallationHandlers(app, deps);
    registerMembershipHandlers(app, deps);
    registerPolicyPullRequestHandlers(app, deps);
    registerCheckRerequestedHandlers(app, deps);
    registerPolicyPushHandlers(app, deps);
    registerIssueCommentCommandHandlers(app, deps);
  };
}
