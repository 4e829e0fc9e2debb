import type { FakeInstallation } from '../app-state.js';
import type { FakeDelivery } from '../app-state.js';
import { errorResult, notFound } from '../github-errors.js';
import { linkHeaders, pageSlice } from '../pagination.js';
import { simpleUser } from '../rest-shapes.js';
import type { RouteContext, RouteTable } from '../route-types.js';

/** GitHub App endpoints: the app itself, installations, tokens and webhook deliveries. */
export const appRoutes: RouteTable = {
  'apps/get-authenticated': ({ state, apiUrl, now }) => {
    const owner = state.users.ensure(`${state.app.slug}-owner`, 'Organization');
    return {
      status: 200,
      body: {
        id: state.app.appId,
        slug: state.app.slug,
        node_id: `A_${state.app.appId}`,
        client_id: `Iv1.${state.app.appId.toString(16).padStart(16, '0')}`,
        owner: simpleUser(owner, apiUrl),
        name: state.app.slug,
        description: null,
        external_url: 'https://example.com',
        html_url: `https://github.example/apps/${state.app.slug}`,
        created_at: now.toISOString(),
        updated_at: now.toISOString(),
        permissions: { organization_copilot_seat_management: 'write', members: 'read', checks: 'write' },
        events: ['issue_comment', 'push', 'pull_request', 'membership', 'organization', 'team'],
        installations_count: state.app.installations.size,
      },
    };
  },

  'apps/get-installation': (context) => {
    const installation = context.state.app.installations.get(Number(context.params.installation_id));
    return installation === undefined ? notFound() : { status: 200, body: installationShape(installation, context) };
  },

  'apps/get-org-installation': (context) => {
    const login = (context.params.org ?? '').toLowerCase();
    const installation = [...context.state.app.installations.values()].find((i) => i.account.login.toLowerCase() === login);
    return installation === undefined ? notFound() : { status: 200, body: installationShape(installation, context) };
  },

  'apps/get-repo-installation': (context) => {
    const login = (context.params.owner ?? '').toLowerCase();
    const repo = context.state.repo(context.params.owner ?? '', context.params.repo ?? '');
    const installation = [...context.state.app.installations.values()].find((i) => i.account.login.toLowerCase() === login);
    return repo === undefined || installation === undefined ? notFound() : { status: 200, body: installationShape(installation, context) };
  },

  'apps/list-installations': (context) => {
    const installations = [...context.state.app.installations.values()].sort((a, b) => a.id - b.id);
    const page = pageSlice(installations.length, context.query, `${context.apiUrl}${context.path}`, 30);
    return {
      status: 200,
      headers: linkHeaders(page),
      body: installations.slice(page.start, page.end).map((installation) => installationShape(installation, context)),
    };
  },

  'apps/create-installation-access-token': ({ state, params }) => {
    const installation = state.app.installations.get(Number(params.installation_id));
    if (installation === undefined) return notFound();
    const issued = state.app.issueToken(installation.id);
    return {
      status: 201,
      body: {
        token: issued.token,
        expires_at: issued.expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
        permissions: installation.permissions,
        repository_selection: 'all',
      },
    };
  },

  'apps/list-webhook-deliveries': ({ state, query, apiUrl, path }) => {
    const perPage = Math.min(100, Math.max(1, Number(query.get('per_page') ?? 30) || 30));
    const statusFilter = query.get('status');
    let deliveries: readonly FakeDelivery[] = state.app.listDeliveries();
    if (statusFilter !== null) {
      deliveries = deliveries.filter((d) =>
        statusFilter === 'success' ? d.statusCode >= 200 && d.statusCode <= 399 : d.statusCode >= 400 && d.statusCode <= 599,
      );
    }
    let start = 0;
    const cursor = query.get('cursor');
    if (cursor !== null) {
      const match = /^v1_(\d+)$/.exec(cursor);
      if (match === null) return errorResult(400, `Invalid cursor: ${cursor}`);
      // The cursor names the first delivery of the page; newer deliveries arriving meanwhile do not shift it.
      const cursorId = Number(match[1]);
      start = deliveries.findIndex((d) => d.id <= cursorId);
      if (start === -1) start = deliveries.length;
    }
    const page = deliveries.slice(start, start + perPage);
    const next = deliveries[start + perPage];
    const headers: Record<string, string> = {};
    if (next !== undefined) {
      const params = new URLSearchParams(query);
      params.set('per_page', String(perPage));
      params.set('cursor', `v1_${next.id}`);
      headers.link = `<${apiUrl}${path}?${params.toString()}>; rel="next"`;
    }
    return { status: 200, headers, body: page.map(deliveryShape) };
  },

  'apps/redeliver-webhook-delivery': ({ state, params }) => {
    const delivery = state.app.delivery(Number(params.delivery_id));
    if (delivery === undefined) return notFound();
    state.app.redeliver(delivery);
    return { status: 202, body: {} };
  },
};

function installationShape(installation: FakeInstallation, { state, apiUrl }: RouteContext): Record<string, unknown> {
  return {
    id: installation.id,
    account: simpleUser(installation.account, apiUrl),
    repository_selection: 'all',
    access_tokens_url: `${apiUrl}/app/installations/${installation.id}/access_tokens`,
    repositories_url: `${apiUrl}/installation/repositories`,
    html_url: `https://github.example/organizations/${installation.account.login}/settings/installations/${installation.id}`,
    app_id: state.app.appId,
    app_slug: state.app.slug,
    target_id: installation.account.id,
    target_type: installation.account.type,
    permissions: installation.permissions,
    events: ['issue_comment', 'push', 'pull_request', 'membership', 'organization', 'team'],
    created_at: installation.createdAt,
    updated_at: installation.createdAt,
    single_file_name: null,
    suspended_by: null,
    suspended_at: null,
  };
}

function deliveryShape(delivery: FakeDelivery): Record<string, unknown> {
  return {
    id: delivery.id,
    guid: delivery.guid,
    delivered_at: delivery.deliveredAt,
    redelivery: delivery.redelivery,
    duration: delivery.duration,
    status: delivery.status,
    status_code: delivery.statusCode,
    event: delivery.event,
    action: delivery.action,
    installation_id: delivery.installationId,
    repository_id: delivery.repositoryId,
  };
}
