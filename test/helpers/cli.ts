import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX_LOADER = pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const MAIN = path.join(ROOT, 'src/cli/main.ts');
// A directory without a .env file: the child's configuration is exactly what the test passes.
const CWD = mkdtempSync(path.join(tmpdir(), 'ceos-cli-cwd-'));

/** Every variable the configuration reads, blank, so nothing leaks in from the test's own environment. */
const BLANK: Record<string, string> = Object.fromEntries(
  ['APP_ID', 'PRIVATE_KEY', 'PRIVATE_KEY_PATH', 'WEBHOOK_SECRET', 'WEBHOOK_SECRET_PREVIOUS', 'GHE_HOST', 'WEBHOOK_PROXY_URL', 'DATABASE_URL'].map(
    (name) => [name, ''],
  ),
);

/** The environment of a `ceos` child process: only PATH and HOME from ours, then `env`. */
export function cliEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const result: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TSX_TSCONFIG_PATH: path.join(ROOT, 'tsconfig.json'),
    ...BLANK,
  };
  for (const [key, value] of Object.entries(env)) if (value !== undefined) result[key] = value;
  return result;
}

/** Starts `ceos <args>` from the sources, on the Node running the tests. */
export function spawnCli(args: string[], env: Record<string, string | undefined>): ChildProcess {
  return spawn(process.execPath, ['--import', TSX_LOADER, MAIN, ...args], {
    cwd: CWD,
    env: cliEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs `ceos <args>` to completion. */
export async function runCli(
  args: string[],
  env: Record<string, string | undefined>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnCli(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (exitCode) => resolve(exitCode));
  });
  return { code, stdout, stderr };
}

/** A running `ceos start` child process. */
export interface CeosProcess {
  child: ChildProcess;
  /** Base URL from its 'CEOS is listening' log line. */
  url: string;
  /** Its JSON log lines so far. */
  lines: Record<string, unknown>[];
  /** Everything it wrote to stderr. */
  stderr(): string;
  /** Resolves with the exit code and signal once it has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `ceos start` and resolves once it listens; rejects if it exits first. */
export async function startCeosProcess(env: Record<string, string | undefined>, timeoutMs = 60_000): Promise<CeosProcess> {
  const child = spawnCli(['start'], { PORT: '0', HOST: '127.0.0.1', ...env });
  const lines: Record<string, unknown>[] = [];
  let stderr = '';
  let buffered = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const listening = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ceos start did not listen within ${timeoutMs} ms: ${stderr}`)), timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const part of parts) {
        if (!part.trim()) continue;
        let line: Record<string, unknown>;
        try {
          line = JSON.parse(part) as Record<string, unknown>;
        } catch {
          continue;
        }
        lines.push(line);
        if (line.msg === 'CEOS is listening' && typeof line.url === 'string') {
          clearTimeout(timer);
          resolve(line.url);
        }
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`ceos start exited (${code ?? signal}) before listening: ${stderr}`));
    });
  });
  const url = await listening;
  return { child, url, lines, stderr: () => stderr, exited };
}
