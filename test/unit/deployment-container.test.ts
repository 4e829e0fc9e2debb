import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { CONFIG_VARIABLES, loadConfig } from '../../src/app/config.js';

// The Dockerfile and docker-compose.yml, read as text and checked here (there is no Docker daemon
// on the development machines); CI (.github/workflows/ci.yml) builds the image for real.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

interface Instruction {
  keyword: string;
  args: string;
}
interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** Splits a Dockerfile into stages of instructions (continuation lines joined, comments dropped). */
function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (current === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    logical.push(current + line);
    current = '';
  }
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, keyword, args] = /^(\S+)\s*(.*)$/.exec(line)!;
    const instruction = { keyword: keyword!.toUpperCase(), args: args!.trim() };
    if (instruction.keyword === 'FROM') {
      const [, from, name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args)!;
      stages.push({ from: from!, name, instructions: [] });
    } else {
      expect(stages.length, `${instruction.keyword} before FROM`).toBeGreaterThan(0);
      stages[stages.length - 1]!.instructions.push(instruction);
    }
  }
  return stages;
}

/** An instruction in exec form (a JSON array), or undefined for the shell form. */
function execForm(instruction: Instruction | undefined): string[] | undefined {
  if (!instruction) return undefined;
  const json = instruction.args.replace(/^(--\S+\s+)*(CMD\s+)?/, '');
  try {
    const parsed = JSON.parse(json) as unknown;
    return Array.isArray(parsed) && parsed.every((p) => typeof p === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

describe('Dockerfile', () => {
  const stages = parseDockerfile(read('Dockerfile'));
  const runtime = stages[stages.length - 1]!;
  const last = (keyword: string) => runtime.instructions.filter((i) => i.keyword === keyword).at(-1);

  it('builds in several stages, each from node:24-slim, and the runtime copies only from them', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(stages.map((s) => s.from)).toEqual(stages.map(() => 'node:24-slim'));
    const copiesFrom = runtime.instructions
      .filter((i) => i.keyword === 'COPY' && i.args.includes('--from='))
      .map((i) => /--from=(\S+)/.exec(i.args)![1]);
    expect(copiesFrom).toEqual(expect.arrayContaining(['build', 'deps']));
    expect(stages.map((s) => s.name)).toEqual(expect.arrayContaining(['build', 'deps']));
    // The runtime gets the compiled CLI and the production dependencies, not the sources.
    expect(runtime.instructions.some((i) => i.keyword === 'COPY' && /\bsrc\b/.test(i.args))).toBe(false);
    expect(runtime.instructions.some((i) => i.keyword === 'COPY' && /\/app\/dist/.test(i.args))).toBe(true);
    const deps = stages.find((s) => s.name === 'deps')!;
    expect(deps.instructions.some((i) => i.keyword === 'RUN' && /npm ci\b.*--omit=dev/.test(i.args))).toBe(true);
  });

  it('compiles with the build script\'s configuration into dist, where bin/ceos.js imports from', () => {
    const build = stages.find((s) => s.name === 'build')!;
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    const buildScript = pkg.scripts.build!; // tsc -p tsconfig.build.json
    const tsconfig = /-p\s+(\S+)/.exec(buildScript)![1]!;
    expect(build.instructions.some((i) => i.keyword === 'RUN' && i.args.includes(`tsc -p ${tsconfig}`))).toBe(true);
    expect(read('bin/ceos.js')).toContain("import '../dist/src/cli/main.js'");
    expect(build.instructions.some((i) => i.keyword === 'COPY' && i.args.startsWith('src '))).toBe(true);
  });

  it('runs as an unprivileged user, by number', () => {
    const user = last('USER')?.args;
    expect(user).toBeDefined();
    expect(user).toMatch(/^\d+(:\d+)?$/);
    expect(Number(user!.split(':')[0])).toBeGreaterThan(0);
  });

  it('checks health on /healthz, in exec form', () => {
    const check = last('HEALTHCHECK')!;
    expect(check.args).toMatch(/--interval=\d+s/);
    const command = execForm(check)!;
    expect(command[0]).toBe('node');
    expect(command.join(' ')).toContain('/healthz');
  });

  it('makes tini PID 1 in exec form, so SIGTERM reaches node and CEOS\'s shutdown, with the start script\'s node flags', () => {
    const entrypoint = execForm(last('ENTRYPOINT'));
    const cmd = execForm(last('CMD'));
    // `npm start` is `exec node <flags> bin/ceos.js start`: the image runs node the same way, without npm.
    const start = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts.start!;
    const [, flags] = /^exec node ((?:--\S+ )*)bin\/ceos\.js start$/.exec(start)!;
    expect(entrypoint).toEqual(['/usr/bin/tini', '--', 'node', ...flags!.trim().split(' ').filter(Boolean), 'bin/ceos.js']);
    expect(cmd).toEqual(['start']);
    expect(runtime.instructions.some((i) => i.keyword === 'RUN' && /apt-get install .*\btini\b/.test(i.args))).toBe(true);
  });

  it('sets only configuration variables CEOS reads, with valid values', () => {
    const env: Record<string, string> = {};
    for (const i of runtime.instructions.filter((x) => x.keyword === 'ENV')) {
      for (const [, name, value] of i.args.matchAll(/(\w+)=(\S+)/g)) env[name!] = value!;
    }
    expect(Object.keys(env).filter((name) => name !== 'NODE_ENV' && !CONFIG_VARIABLES.includes(name))).toEqual([]);
    expect(loadConfig(env)).toMatchObject({ host: '0.0.0.0', port: 3000, dataDir: '/var/lib/ceos' });
  });

  it('keeps secrets, local data and dependencies out of the build context', () => {
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim());
    expect(ignored).toEqual(expect.arrayContaining(['.git', 'node_modules', 'dist', '.data', '.env', '*.pem']));
  });
});

type Service = {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  stop_grace_period?: string;
};

/** Compose's ${VAR:-default} interpolation, with an empty environment: the defaults. */
function interpolate(value: string): string {
  return value.replace(/\$\{(\w+)(?::-([^}]*))?\}/g, (_m, _name: string, fallback: string | undefined) => fallback ?? '');
}

describe('docker-compose.yml', () => {
  const compose = parseYaml(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> };
  const { services } = compose;
  const envOf = (name: string) => Object.fromEntries(Object.entries(services[name]!.environment ?? {}).map(([k, v]) => [k, interpolate(String(v))]));

  it('runs PostgreSQL 17, a migration step and CEOS, which starts after the migration succeeded', () => {
    expect(Object.keys(services).sort()).toEqual(['ceos', 'migrate', 'postgres']);
    expect(services.postgres!.image).toBe('postgres:17');
    expect(services.migrate!.command).toEqual(['migrate']);
    expect(services.migrate!.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    expect(services.ceos!.command).toEqual(['start']);
    expect(services.ceos!.depends_on).toEqual({ migrate: { condition: 'service_completed_successfully' } });
    expect(services.ceos!.build).toBe('.');
    expect(services.migrate!.image).toBe(services.ceos!.image);
  });

  it('gives CEOS and the migration only variables CEOS reads, and a database URL that names the postgres service', () => {
    const postgres = envOf('postgres');
    for (const name of ['ceos', 'migrate']) {
      const env = envOf(name);
      expect(Object.keys(env).filter((variable) => !CONFIG_VARIABLES.includes(variable))).toEqual([]);
      const url = new URL(env.DATABASE_URL!);
      expect(url.hostname).toBe('postgres');
      expect(url.username).toBe(postgres.POSTGRES_USER);
      expect(decodeURIComponent(url.password)).toBe(postgres.POSTGRES_PASSWORD);
      expect(url.pathname).toBe(`/${postgres.POSTGRES_DB}`);
      expect(loadConfig(env).migrateOnStart).toBe(false);
    }
  });

  it('stops CEOS with more grace than its shutdown takes (the workers, then the job queue, each up to the timeout)', () => {
    const env = envOf('ceos');
    const grace = Number(/^(\d+)s$/.exec(services.ceos!.stop_grace_period!)![1]);
    expect(grace).toBeGreaterThan(2 * loadConfig(env).shutdownTimeoutSeconds);
  });
});
