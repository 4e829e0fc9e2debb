import { notFound } from '../github-errors.js';
import { linkHeaders, pageSlice } from '../pagination.js';
import type { FakeCheckRun } from '../repo-state.js';
import type { FakeRepo } from '../repo-state.js';
import { nodeId } from '../rest-shapes.js';
import type { RouteContext, RouteTable } from '../route-types.js';
import { findRepo } from './repo-routes.js';

interface CheckRunBody {
  name?: string;
  head_sha?: string;
  details_url?: string;
  external_id?: string;
  status?: string;
  conclusion?: string;
  started_at?: string;
  completed_at?: string;
  output?: { title?: string; summary?: string; text?: string; annotations?: Record<string, unknown>[] };
  actions?: Record<string, unknown>[];
}

/** Check runs. The spec's limits (summary ≤ 65535 characters, ≤ 50 annotations a request) are enforced by request validation. */
export const checkRoutes: RouteTable = {
  'checks/create': (context) => {
    const repo = findRepo(context);
    if (repo === undefined) return notFound();
    const body = context.body as CheckRunBody;
    const now = context.now.toISOString();
    const status = body.conclusion !== undefined ? 'completed' : (body.status ?? 'queued');
    const run: FakeCheckRun = {
      id: context.state.allocateId(),
      name: body.name ?? '',
      headSha: body.head_sha ?? '',
      status,
      conclusion: body.conclusion ?? null,
      startedAt: body.started_at ?? now,
      completedAt: status === 'completed' ? (body.completed_at ?? now) : null,
      externalId: body.external_id ?? null,
      detailsUrl: body.details_url ?? null,
      output: { title: body.output?.title ?? null, summary: body.output?.summary ?? null, text: body.output?.text ?? null },
      annotations: [...(body.output?.annotations ?? [])],
      actions: body.actions ?? [],
    };
    repo.checkRuns.set(run.id, run);
    return { status: 201, body: checkRunShape(run, repo, context) };
  },

  'checks/update': (context) => {
    const repo = findRepo(context);
    const run = repo?.checkRuns.get(Number(context.params.check_run_id));
    if (repo === undefined || run === undefined) return notFound();
    const body = context.body as CheckRunBody;
    if (body.name !== undefined) run.name = body.name;
    if (body.details_url !== undefined) run.detailsUrl = body.details_url;
    if (body.external_id !== undefined) run.externalId = body.external_id;
    if (body.started_at !== undefined) run.startedAt = body.started_at;
    if (body.status !== undefined) run.status = body.status;
    if (body.conclusion !== undefined) {
      run.conclusion = body.conclusion;
      run.status = 'completed';
    }
    if (run.status === 'completed') run.completedAt = body.completed_at ?? run.completedAt ?? context.now.toISOString();
    if (body.output !== undefined) {
      run.output = {
        title: body.output.title ?? run.output.title,
        summary: body.output.summary ?? run.output.summary,
        text: body.output.text ?? run.output.text,
      };
      // GitHub appends annotations across updates; that is how more than 50 get onto one run.
      run.annotations.push(...(body.output.annotations ?? []));
    }
    if (body.actions !== undefined) run.actions = body.actions;
    return { status: 200, body: checkRunShape(run, repo, context) };
  },

  'checks/get': (context) => {
    const repo = findRepo(context);
    const run = repo?.checkRuns.get(Number(context.params.check_run_id));
    if (repo === undefined || run === undefined) return notFound();
    return { status: 200, body: checkRunShape(run, repo, context) };
  },

  'checks/list-for-ref': (context) => {
    const repo = findRepo(context);
    if (repo === undefined) return notFound();
    const { query, params, apiUrl, path } = context;
    const ref = params.ref ?? '';
    const sha = repo.files.has(ref) && !/^[0-9a-f]{40}$/.test(ref) ? undefined : ref;
    let runs = [...repo.checkRuns.values()].filter((run) => run.headSha === (sha ?? ref));
    const name = query.get('check_name');
    if (name !== null) runs = runs.filter((run) => run.name === name);
    const status = query.get('status');
    if (status !== null) runs = runs.filter((run) => run.status === status);
    if ((query.get('filter') ?? 'latest') === 'latest') {
      const latest = new Map<string, FakeCheckRun>();
      for (const run of runs) {
        const seen = latest.get(run.name);
        if (seen === undefined || seen.id < run.id) latest.set(run.name, run);
      }
      runs = [...latest.values()];
    }
    runs.sort((a, b) => b.id - a.id);
    const page = pageSlice(runs.length, query, `${apiUrl}${path}`, 30);
    return {
      status: 200,
      headers: linkHeaders(page),
      body: { total_count: runs.length, check_runs: runs.slice(page.start, page.end).map((run) => checkRunShape(run, repo, context)) },
    };
  },
};

function checkRunShape(run: FakeCheckRun, repo: FakeRepo, { apiUrl, state }: RouteContext): Record<string, unknown> {
  const url = `${apiUrl}/repos/${repo.fullName}/check-runs/${run.id}`;
  return {
    id: run.id,
    head_sha: run.headSha,
    node_id: nodeId('CR', run.id),
    external_id: run.externalId,
    url,
    html_url: `https://github.example/${repo.fullName}/runs/${run.id}`,
    details_url: run.detailsUrl,
    status: run.status,
    conclusion: run.conclusion,
    started_at: run.startedAt,
    completed_at: run.completedAt,
    output: {
      title: run.output.title,
      summary: run.output.summary,
      text: run.output.text,
      annotations_count: run.annotations.length,
      annotations_url: `${url}/annotations`,
    },
    name: run.name,
    check_suite: { id: run.id + 1 },
    app: { id: state.app.appId, slug: state.app.slug, name: state.app.slug },
    pull_requests: [],
  };
}
