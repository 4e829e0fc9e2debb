import { describe, expect, it } from 'vitest';
import { loadOpenApiIndex } from '../fake-github/openapi-index.js';
import { pageSlice } from '../fake-github/pagination.js';

describe('loadOpenApiIndex', () => {
  const index = loadOpenApiIndex();
  const cases: { method: string; path: string; operationId: string; params: Record<string, string> }[] = [
    { method: 'GET', path: '/orgs/acme/copilot/billing/seats', operationId: 'copilot/list-copilot-seats', params: { org: 'acme' } },
    { method: 'DELETE', path: '/orgs/acme/copilot/billing/selected_users', operationId: 'copilot/cancel-copilot-seat-assignment-for-users', params: { org: 'acme' } },
    { method: 'GET', path: '/app/hook/deliveries', operationId: 'apps/list-webhook-deliveries', params: {} },
    { method: 'POST', path: '/app/hook/deliveries/12/attempts', operationId: 'apps/redeliver-webhook-delivery', params: { delivery_id: '12' } },
    {
      method: 'GET',
      path: '/repos/acme/.github/contents/copilot/policy.yml',
      operationId: 'repos/get-content',
      params: { owner: 'acme', repo: '.github', path: 'copilot/policy.yml' },
    },
    {
      method: 'GET',
      path: '/repos/acme/app/commits/refs%2Fheads%2Fmain/check-runs',
      operationId: 'checks/list-for-ref',
      params: { owner: 'acme', repo: 'app', ref: 'refs/heads/main' },
    },
    { method: 'GET', path: '/app', operationId: 'apps/get-authenticated', params: {} },
  ];
  for (const { method, path, operationId, params } of cases) {
    it(`matches ${method} ${path} to ${operationId}`, () => {
      const match = index.match(method, path);
      expect(match.kind).toBe('operation');
      if (match.kind !== 'operation') return;
      expect(match.operation.operationId).toBe(operationId);
      expect(match.params).toEqual(params);
    });
  }

  it('tells an unknown path from a known path with the wrong method', () => {
    expect(index.match('GET', '/copilot/seats')).toEqual({ kind: 'no-path' });
    expect(index.match('PUT', '/orgs/acme/copilot/billing/seats')).toEqual({
      kind: 'wrong-method',
      template: '/orgs/{org}/copilot/billing/seats',
      methods: ['GET'],
    });
  });

  it('resolves parameters and request bodies', () => {
    const seats = index.byOperationId('copilot/list-copilot-seats');
    expect(seats?.parameters.filter((p) => p.in === 'query').map((p) => p.name)).toEqual(['page', 'per_page']);
    const add = index.byOperationId('copilot/add-copilot-seats-for-users');
    expect(add?.requestBody?.schema.required).toEqual(['selected_usernames']);
  });
});

describe('pageSlice', () => {
  const url = 'http://h/api/v3/x';
  const cases: { total: number; query: string; start: number; end: number; link: string | undefined }[] = [
    { total: 10, query: '', start: 0, end: 10, link: undefined },
    {
      total: 250,
      query: 'per_page=100',
      start: 0,
      end: 100,
      link: `<${url}?per_page=100&page=2>; rel="next", <${url}?per_page=100&page=3>; rel="last"`,
    },
    {
      total: 250,
      query: 'per_page=100&page=3',
      start: 200,
      end: 250,
      link: `<${url}?per_page=100&page=2>; rel="prev", <${url}?per_page=100&page=1>; rel="first"`,
    },
    { total: 250, query: 'per_page=500&page=9', start: 250, end: 250, link: `<${url}?per_page=100&page=3>; rel="prev", <${url}?per_page=100&page=1>; rel="first"` },
  ];
  for (const { total, query, start, end, link } of cases) {
    it(`pages ${total} items with "${query}"`, () => {
      expect(pageSlice(total, new URLSearchParams(query), url, 50)).toEqual({ start, end, link });
    });
  }
});
