/**
 * The audit chain that records changes to API keys: keys belong to no organization, and a GitHub
 * login never starts with an underscore, so this name cannot be taken by an organization.
 */
export const KEYS_AUDIT_ORG = '_ceos';
