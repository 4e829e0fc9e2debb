import { z } from 'zod';
import { PermanentDeliveryError } from '../engine/permanent-delivery-error.js';

// Each schema names only the fields CEOS reads; the rest of GitHub's payload passes through
// untouched (loose objects), so a field GitHub adds tomorrow never fails a delivery.

const id = z.number().int().positive();
const login = z.string().min(1);
const sha = z.string().regex(/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i, 'expected a commit SHA');

/** A user or bot as payloads name them; only the login is needed. */
const actor = z.looseObject({ login });

/** A user as payloads name them, with the id people are keyed by. */
const user = z.looseObject({ login, id });

/** `installation` on events that only say which installation they came through. */
const installationRef = z.looseObject({ id });

/** `organization` on organization-scoped events. */
const organization = z.looseObject({ login, id });

/** `repository` on repository events. */
const repository = z.looseObject({
  name: z.string().min(1),
  full_name: z.string().min(1),
  owner: z.looseObject({ login }),
  default_branch: z.string().optional(),
});

/**
 * The account an installation is on: an organization or user (`login`), or, since October 2026,
 * an enterprise (`slug`, no `login`). Which one is told by `target_type`, or by the account's
 * fields when GitHub leaves `target_type` out.
 */
const installationAccount = z.looseObject({
  id,
  login: login.optional(),
  slug: z.string().min(1).optional(),
  name: z.string().nullish(),
  type: z.string().optional(),
});

/** The installation object of `installation` and `installation_repositories` events. */
const installation = z
  .looseObject({
    id,
    target_type: z.string().optional(),
    account: installationAccount.nullable(),
    repository_selection: z.string().nullish(),
    permissions: z.record(z.string(), z.string()).optional(),
    events: z.array(z.string()).optional(),
  })
  .superRefine((value, ctx) => {
    if (value.account === null) return;
    const enterprise = isEnterprise(value);
    const needed = enterprise ? 'slug' : 'login';
    if (value.account[needed] === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['account', needed],
        message: `required for an installation on ${enterprise ? 'an enterprise' : 'an organization or user'}`,
      });
    }
  });

/** Whether an installation is on an enterprise account rather than an organization or user. */
export function isEnterprise(value: { target_type?: string | undefined; account: { login?: string | undefined; slug?: string | undefined } | null }): boolean {
  if (value.target_type !== undefined) return value.target_type.toLowerCase() === 'enterprise';
  return value.account !== null && value.account.login === undefined && value.account.slug !== undefined;
}

/** `installation.*` events. */
export const installationEventSchema = z.looseObject({
  action: z.string().min(1),
  installation,
  sender: actor.nullish(),
});
/** An `installation.*` payload as CEOS reads it. */
export type InstallationEvent = z.output<typeof installationEventSchema>;

/** `installation_repositories.*` events. */
export const installationRepositoriesEventSchema = z.looseObject({ action: z.string().min(1), installation });

/** `organization.member_added` and `organization.member_removed`. */
export const orgMemberEventSchema = z.looseObject({
  action: z.string().min(1),
  organization,
  installation: installationRef.nullish(),
  membership: z.looseObject({ user: user.nullable(), role: z.string().min(1) }),
  sender: actor.nullish(),
});

/** `organization.renamed`: the organization under its new login, and the login it had. */
export const organizationRenamedSchema = z.looseObject({
  organization,
  changes: z.looseObject({ login: z.looseObject({ from: z.string().min(1).optional() }).optional() }).optional(),
  installation: installationRef.nullish(),
  sender: actor.nullish(),
});

/** `membership.added` and `membership.removed` (a team membership). */
export const teamMembershipEventSchema = z.looseObject({
  action: z.string().min(1),
  scope: z.string().min(1),
  organization,
  installation: installationRef.nullish(),
  team: z.looseObject({ id, slug: z.string().min(1).optional() }),
  member: user.nullable(),
  sender: actor.nullish(),
});

/** `team.created`, `team.edited` and `team.deleted`. */
export const teamEventSchema = z.looseObject({
  action: z.string().min(1),
  organization,
  installation: installationRef.nullish(),
  team: z.looseObject({
    id,
    slug: z.string().min(1),
    name: z.string(),
    parent: z.looseObject({ slug: z.string().min(1) }).nullish(),
  }),
  sender: actor.nullish(),
});

/** The fields of a push's commit that say which files it touched (absent lists are empty). */
const pushCommit = z.looseObject({
  added: z.array(z.string()).optional(),
  removed: z.array(z.string()).optional(),
  modified: z.array(z.string()).optional(),
});

/** `push`. */
export const pushEventSchema = z.looseObject({
  ref: z.string().min(1),
  before: sha,
  after: sha,
  deleted: z.boolean(),
  commits: z.array(pushCommit),
  repository,
  installation: installationRef.nullish(),
  pusher: z.looseObject({ name: z.string().nullish() }).nullish(),
  sender: actor.nullish(),
});
/** A `push` payload as CEOS reads it. */
export type PushEvent = z.output<typeof pushEventSchema>;

/** `pull_request.opened`, `synchronize` and `reopened`. */
export const pullRequestEventSchema = z.looseObject({
  action: z.string().min(1),
  repository,
  installation: installationRef.nullish(),
  pull_request: z.looseObject({ number: id, head: z.looseObject({ sha }) }),
});

/** A pull request as check runs and suites list it. */
const checkPullRequest = z.looseObject({ number: id, head: z.looseObject({ sha }) });

/** `check_run.rerequested`. */
export const checkRunRerequestedSchema = z.looseObject({
  repository,
  installation: installationRef.nullish(),
  check_run: z.looseObject({ name: z.string(), head_sha: sha, pull_requests: z.array(checkPullRequest) }),
});

/** `check_suite.rerequested`. */
export const checkSuiteRerequestedSchema = z.looseObject({
  repository,
  installation: installationRef.nullish(),
  check_suite: z.looseObject({ head_sha: sha, pull_requests: z.array(checkPullRequest) }),
});

/**
 * How a comment's author is related to the repository, as GitHub says it (`OWNER`, `MEMBER`,
 * `COLLABORATOR`, `CONTRIBUTOR`, `NONE`, …). Any text is accepted: a value GitHub adds later is
 * simply not one of those CEOS trusts.
 */
const authorAssociation = z.string().min(1);

/** `issue_comment.created`. */
export const issueCommentEventSchema = z.looseObject({
  comment: z.looseObject({
    id,
    body: z.string().nullish(),
    user: z.looseObject({ login, id, type: z.string().min(1) }).nullable(),
    author_association: authorAssociation,
  }),
  issue: z.looseObject({ number: id }),
  repository,
  installation: installationRef.nullish(),
  sender: z.looseObject({ login, type: z.string().min(1) }).nullish(),
});
/** An `issue_comment.created` payload as CEOS reads it. */
export type IssueCommentEvent = z.output<typeof issueCommentEventSchema>;

/**
 * Parses a payload at a handler's edge. One that lacks what CEOS needs throws a
 * PermanentDeliveryError naming each field and what is wrong with it, so the delivery is
 * dead-lettered at once (replayable once the cause is understood) rather than retried.
 */
export function parsePayload<S extends z.ZodType>(schema: S, event: string, payload: unknown): z.output<S> {
  const result = schema.safeParse(payload);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(payload)'}: ${issue.message}`);
  throw new PermanentDeliveryError(`${event} payload lacks what CEOS needs: ${problems.join('; ')}`);
}
