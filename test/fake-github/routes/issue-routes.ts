import { notFound } from '../github-errors.js';
import { linkHeaders, pageSlice } from '../pagination.js';
import type { FakeComment, FakeIssue, FakeRepo } from '../repo-state.js';
import { nodeId, simpleUser } from '../rest-shapes.js';
import type { RouteContext, RouteTable } from '../route-types.js';
import { findRepo } from './repo-routes.js';

/** Issues, issue and pull request comments, and comment reactions. */
export const issueRoutes: RouteTable = {
  'issues/create': (context) => {
    const repo = findRepo(context);
    if (repo === undefined) return notFound();
    const body = context.body as { title: string | number; body?: string | null };
    // Issues and pull requests share numbers; comments on numbers no issue holds stand for pull requests.
    const taken = [...repo.issues.keys(), ...[...repo.comments.values()].map((c) => c.issueNumber)];
    const at = context.now.toISOString();
    const issue: FakeIssue = {
      id: context.state.allocateId(),
      number: Math.max(0, ...taken) + 1,
      title: String(body.title),
      body: body.body ?? null,
      state: 'open',
      stateReason: null,
      user: botAccount(context),
      createdAt: at,
      updatedAt: at,
      closedAt: null,
      bodyHistory: [body.body ?? null],
    };
    repo.issues.set(issue.number, issue);
    return { status: 201, body: issueShape(issue, repo, context) };
  },

  'issues/get': (context) => {
    const repo = findRepo(context);
    const issue = repo?.issues.get(Number(context.params.issue_number));
    if (repo === undefined || issue === undefined) return notFound();
    return { status: 200, body: issueShape(issue, repo, context) };
  },

  'issues/update': (context) => {
    const repo = findRepo(context);
    const issue = repo?.issues.get(Number(context.params.issue_number));
    if (repo === undefined || issue === undefined) return notFound();
    const change = context.body as { title?: string | number | null; body?: string | null; state?: 'open' | 'closed'; state_reason?: string | null };
    if (change.title !== undefined && change.title !== null) issue.title = String(change.title);
    if (change.body !== undefined && change.body !== issue.body) {
      issue.body = change.body;
      issue.bodyHistory.push(change.body);
    }
    if (change.state !== undefined && change.state !== issue.state) {
      issue.state = change.state;
      // GitHub records a reason only when the state changes; reopening says `reopened`.
      issue.stateReason = change.state === 'closed' ? (change.state_reason ?? 'completed') : 'reopened';
      issue.closedAt = change.state === 'closed' ? context.now.toISOString() : null;
    }
    issue.updatedAt = context.now.toISOString();
    return { status: 200, body: issueShape(issue, repo, context) };
  },

  'issues/list-for-repo': (context) => {
    const repo = findRepo(context);
    if (repo === undefined) return notFound();
    const state = context.query.get('state') ?? 'open';
    const ascending = context.query.get('direction') === 'asc';
    const issues = [...repo.issues.values()]
      .filter((i) => state === 'all' || i.state === state)
      .sort((a, b) => (ascending ? a.number - b.number : b.number - a.number));
    const page = pageSlice(issues.length, context.query, `${context.apiUrl}${context.path}`, 30);
    return { status: 200, headers: linkHeaders(page), body: issues.slice(page.start, page.end).map((i) => issueShape(i, repo, context)) };
  },

  'issues/create-comment': (context) => {
    const repo = findRepo(context);
    if (repo === undefined) return notFound();
    const comment: FakeComment = {
      id: context.state.allocateId(),
      issueNumber: Number(context.params.issue_number),
      body: (context.body as { body: string }).body,
      user: botAccount(context),
      createdAt: context.now.toISOString(),
      reactions: [],
    };
    repo.comments.set(comment.id, comment);
    return { status: 201, body: commentShape(comment, repo, context) };
  },

  'issues/list-comments': (context) => {
    const repo = findRepo(context);
    if (repo === undefined) return notFound();
    const number = Number(context.params.issue_number);
    const comments = [...repo.comments.values()].filter((c) => c.issueNumber === number);
    const page = pageSlice(comments.length, context.query, `${context.apiUrl}${context.path}`, 30);
    return {
      status: 200,
      headers: linkHeaders(page),
      body: comments.slice(page.start, page.end).map((c) => commentShape(c, repo, context)),
    };
  },

  'issues/update-comment': (context) => {
    const repo = findRepo(context);
    const comment = repo?.comments.get(Number(context.params.comment_id));
    if (repo === undefined || comment === undefined) return notFound();
    comment.body = (context.body as { body: string }).body;
    return { status: 200, body: commentShape(comment, repo, context) };
  },

  'reactions/create-for-issue-comment': (context) => {
    const repo = findRepo(context);
    const comment = repo?.comments.get(Number(context.params.comment_id));
    if (repo === undefined || comment === undefined) return notFound();
    const content = (context.body as { content: string }).content;
    const user = botAccount(context);
    const existing = comment.reactions.find((r) => r.content === content && r.user.id === user.id);
    // GitHub answers 200 with the existing reaction when the same user reacts the same way twice.
    const reaction = existing ?? { id: context.state.allocateId(), content, user, createdAt: context.now.toISOString() };
    if (existing === undefined) comment.reactions.push(reaction);
    return {
      status: existing === undefined ? 201 : 200,
      body: {
        id: reaction.id,
        node_id: nodeId('REA', reaction.id),
        user: simpleUser(reaction.user, context.apiUrl),
        content: reaction.content,
        created_at: reaction.createdAt,
      },
    };
  },
};

function issueShape(issue: FakeIssue, repo: FakeRepo, { apiUrl }: RouteContext): Record<string, unknown> {
  return {
    id: issue.id,
    node_id: nodeId('I', issue.id),
    url: `${apiUrl}/repos/${repo.fullName}/issues/${issue.number}`,
    repository_url: `${apiUrl}/repos/${repo.fullName}`,
    html_url: `https://github.example/${repo.fullName}/issues/${issue.number}`,
    number: issue.number,
    state: issue.state,
    state_reason: issue.stateReason,
    title: issue.title,
    body: issue.body,
    user: simpleUser(issue.user, apiUrl),
    labels: [],
    assignees: [],
    locked: false,
    comments: [...repo.comments.values()].filter((c) => c.issueNumber === issue.number).length,
    created_at: issue.createdAt,
    updated_at: issue.updatedAt,
    closed_at: issue.closedAt,
    author_association: 'NONE',
  };
}

function commentShape(comment: FakeComment, repo: FakeRepo, { apiUrl }: RouteContext): Record<string, unknown> {
  return {
    id: comment.id,
    node_id: nodeId('IC', comment.id),
    url: `${apiUrl}/repos/${repo.fullName}/issues/comments/${comment.id}`,
    html_url: `https://github.example/${repo.fullName}/issues/${comment.issueNumber}#issuecomment-${comment.id}`,
    issue_url: `${apiUrl}/repos/${repo.fullName}/issues/${comment.issueNumber}`,
    body: comment.body,
    user: simpleUser(comment.user, apiUrl),
    created_at: comment.createdAt,
    updated_at: comment.createdAt,
    author_association: 'NONE',
  };
}

function botAccount({ state }: RouteContext) {
  return state.users.ensure(`${state.app.slug}[bot]`, 'Bot');
}
