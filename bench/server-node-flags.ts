import { readFileSync } from 'node:fs';

/**
 * The Node.js flags `npm start` gives the server (package.json's `start` script: the tokens
 * between `node` and `bin/ceos.js`), so a benchmark measures code under the runtime settings it
 * runs with in production, from the one place they are declared.
 */
export function serverNodeFlags(): string[] {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } };
  const match = /\bnode\s+(.*?)\s*bin\/ceos\.js\b/.exec(pkg.scripts.start);
  if (!match) throw new Error(`package.json's start script does not run node bin/ceos.js: ${pkg.scripts.start}`);
  return match[1]!.split(/\s+/).filter((token) => token.startsWith('--'));
}
