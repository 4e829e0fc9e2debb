import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/helpers/setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    restoreMocks: true,
    // The JSON results let CI print a plain summary line per database backend.
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results.json' },
  },
});
