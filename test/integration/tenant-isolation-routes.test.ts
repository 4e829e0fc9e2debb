import { describe, expect, it } from 'vitest';
import { API_ROUTES } from '../../src/api/route-table.js';
import { isTenantScoped } from '../../src/api/routes/tenant-scope.js';
import { backend } from '../helpers/database.js';

describe(`tenant scope of the management API (${backend})`, () => {
  it('runs every organization read in a tenant transaction of its installation, and only organization routes', () => {
    const orgReads = API_ROUTES.filter((r) => r.org && r.method === 'GET');
    expect(orgReads.length).toBeGreaterThan(10);
    expect(orgReads.filter((r) => !isTenantScoped(r)).map((r) => `${r.method} ${r.url}`), 'organization reads outside a tenant transaction: wrap them in tenantScoped').toEqual([]);
    expect(API_ROUTES.filter((r) => isTenantScoped(r) && !r.org).map((r) => r.url)).toEqual([]);
  });
});
