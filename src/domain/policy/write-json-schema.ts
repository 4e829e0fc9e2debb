import { writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { policySchema } from './policy-schema.js';

/** Where the JSON Schema of the policy file is committed, relative to the repository root. */
export const POLICY_JSON_SCHEMA_PATH = 'schema/copilot-policy.schema.json';

/** The JSON Schema of `.github/copilot-policy.yml`, as committed (pretty-printed, trailing newline). */
export function policyJsonSchemaText(): string {
  // `input`: the file as written, where keys with defaults may be left out.
  const schema = z.toJSONSchema(policySchema, { io: 'input', target: 'draft-2020-12' });
  return `${JSON.stringify(schema, null, 2)}\n`;
}

/** Writes the policy's JSON Schema to `path` (the committed file by default). */
export async function writePolicyJsonSchema(path: string = POLICY_JSON_SCHEMA_PATH): Promise<void> {
  await writeFile(path, policyJsonSchemaText(), 'utf8');
}
