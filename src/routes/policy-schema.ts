import type { FastifyInstance } from 'fastify';
import { policyJsonSchemaText } from '../domain/policy/write-json-schema.js';

/** Where CEOS serves the policy file's JSON Schema, for editors' completion. */
export const POLICY_SCHEMA_ROUTE = '/schema/copilot-policy.schema.json';

/**
 * GET /schema/copilot-policy.schema.json: the JSON Schema of the policy file, generated from the
 * definition CEOS validates with, so what editors check is exactly what CEOS accepts. Public: it
 * holds nothing about any organization.
 */
export async function policySchemaRoute(app: FastifyInstance): Promise<void> {
  const body = policyJsonSchemaText();
  app.get(POLICY_SCHEMA_ROUTE, async (_request, reply) =>
    reply.type('application/schema+json; charset=utf-8').header('cache-control', 'public, max-age=3600').send(body),
  );
}
