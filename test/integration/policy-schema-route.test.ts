import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { type TestCeos, startTestCeos } from '../helpers/ceos.js';

let ceos: TestCeos | undefined;
afterEach(async () => {
  await ceos?.stop();
  ceos = undefined;
});

describe('GET /schema/copilot-policy.schema.json', () => {
  it('serves the same JSON Schema as the committed file, to anyone', async () => {
    ceos = await startTestCeos({ CEOS_WORKERS: 'false' });
    const response = await fetch(`${ceos.url}/schema/copilot-policy.schema.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/schema\+json/);
    const served = (await response.json()) as { properties: Record<string, unknown> };
    const committed = JSON.parse(readFileSync('schema/copilot-policy.schema.json', 'utf8')) as unknown;
    expect(served).toEqual(committed);
    expect(Object.keys(served.properties)).toEqual(expect.arrayContaining(['version', 'mode', 'seats', 'inactivity', 'budget', 'schedule', 'commands']));
  });
});
