import type { ApiKeyRole } from '../db/api-keys-schema.js';

/** Every role, most powerful first. */
export const API_ROLES: readonly ApiKeyRole[] = ['admin', 'operator', 'auditor', 'viewer'];

/**
 * What a route needs:
 * - `read`: seats, members, teams, policy, plans, overrides, jobs (every role);
 * - `read_sensitive`: the audit log and webhook deliveries (auditor, operator, admin);
 * - `operate`: plans, confirmation, reconciliation, overrides, replay and redrive (operator, admin);
 * - `admin`: API keys (admin).
 */
export type ApiPermission = 'read' | 'read_sensitive' | 'operate' | 'admin';

/** What each role may do. */
export const ROLE_PERMISSIONS: Readonly<Record<ApiKeyRole, readonly ApiPermission[]>> = {
  admin: ['read', 'read_sensitive', 'operate', 'admin'],
  operator: ['read', 'read_sensitive', 'operate'],
  auditor: ['read', 'read_sensitive'],
  viewer: ['read'],
};

/** Whether a role has a permission. */
export function roleAllows(role: ApiKeyRole, permission: ApiPermission): boolean {
  return ROLE_PERMISSIONS[role].includes(permission);
}

/** The roles that have a permission, for documentation and the route × role table. */
export function rolesWith(permission: ApiPermission): ApiKeyRole[] {
  return API_ROLES.filter((role) => roleAllows(role, permission));
}
