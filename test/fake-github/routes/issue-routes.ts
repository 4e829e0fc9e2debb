import { notFound } from '../github-errors.js';
import { linkHeaders, pageSlice } from '../pagination.js';
import type { FakeComment, FakeRepo } from '../repo-state.js';
import { nodeId, simpleUser } from '../rest-shapes.js';
import type { RouteContext, RouteTable } from '../route-types.js';
import { findRepo } from './repo-routes.js';

/** Issue and pull request comments and their reactions. */
export const issueRoutes: RouteTable = {
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
