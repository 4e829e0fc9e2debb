import type { ApplicationFunction } from 'probot';
import type { HandlerDeps } from './handler-deps.js';
import { registerInstallationHandlers } from './installation.js';
import { registerMembershipHandlers } from './org-membership.js';

export type { HandlerDeps } from './handler-deps.js';

/** The product's webhook handlers, as a Probot app function. */
export function createAppFunction(deps: HandlerDeps): ApplicationFunction {
  return (app) => {
    registerInstallationHandlers(app, deps);
    registerMembershipHandlers(app, deps);
  };
}
