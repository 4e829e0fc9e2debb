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
  /** Base URL from its 'CEOS is listening' log line ('' until then). */
  url: string;
  /** Its JSON log lines so far. */
  lines: Record<string, unknown>[];
  /** Everything it wrote to stderr. */
  stderr(): string;
  /** Resolves with the first log line (past or future) that matches; rejects if the process exits first. */
  waitForLine(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves with the exit code and signal once it has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `ceos start` without waiting for anything. */
export function spawnCeosProcess(env: Record<string, string | undefined>): CeosProcess {
  const child = spawnCli(['start'], { PORT: '0', HOST: '127.0.0.1', ...env });
  const lines: Record<string, unknown>[] = [];
  const watchers: { match: (line: Record<string, unknown>) => boolean; resolve: (line: Record<string, unknown>) => void }[] = [];
  let stderr = '';
  let buffered = '';
  let exitedYet = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      exitedYet = true;
      resolve({ code, signal });
    }),
  );
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const part of parts) {
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(part) as Record<string, unknown>;
      } catch {
        continue;
      }
      lines.push(line);
      if (line.msg === 'CEOS is listening' && typeof line.url === 'string') process.url = line.url;
      for (const watcher of watchers.filter((w) => w.match(line))) {
        watchers.splice(watchers.indexOf(watcher), 1);
        watcher.resolve(line);
      }
    }
  });
  const process: CeosProcess = {
    child,
    url: '',
    lines,
    stderr: () => stderr,
    exited,
    waitForLine(match, timeoutMs = 60_000) {
      const seen = lines.find(match);
      if (seen) return Promise.resolve(seen);
      if (exitedYet) return Promise.reject(new Error(`ceos start had exited: ${stderr}`));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching log line within ${timeoutMs} ms: ${stderr}`)), timeoutMs);
        const watcher = {
          match,
          resolve: (line: Record<string, unknown>) => {
            clearTimeout(timer);
            resolve(line);
          },
        };
        watchers.push(watcher);
        void exited.then(({ code, signal }) => {
          clearTimeout(timer);
          reject(new Error(`ceos start exited (${code ?? signal}) first: ${stderr}`));
        });
      });
    },
  };
  return process;
}

/** Starts `ceos start` and resolves once it listens; rejects if it exits first. */
export async function startCeosProcess(env: Record<string, string | undefined>, timeoutMs = 60_000): Promise<CeosProcess> {
  const started = spawnCeosProcess(env);
  await started.waitForLine((line) => line.msg === 'CEOS is listening', timeoutMs);
  return started;
}

/** Ends every process a test started (those still running with SIGKILL) and waits for each to exit. */
export async function killProcesses(processes: CeosProcess[]): Promise<void> {
  for (const running of processes.splice(0)) {
    if (running.child.exitCode === null && running.child.signalCode === null) running.child.kill('SIGKILL');
    await running.exited;
  }
}
