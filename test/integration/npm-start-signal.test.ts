import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cliEnv } from '../helpers/cli.js';
import { backend, cliDatabase } from '../helpers/database.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether the server answers on its port (over HTTP: the test setup intercepts raw sockets). */
async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/healthz`);
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

// A service manager or a container runtime signals one process: the one it started, here npm.
describe(`npm start (${backend})`, () => {
  it('stops the server cleanly when only the npm process is sent SIGTERM', async () => {
    const { env } = cliDatabase((cleanup) => cleanups.push(cleanup));
    const npm = spawn('npm', ['start', '--silent'], {
      cwd: ROOT,
      env: cliEnv({ ...env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let server: number | undefined;
    cleanups.push(async () => {
      // Only if the test failed half-way: never leave a server behind.
      if (server !== undefined && alive(server)) process.kill(server, 'SIGKILL');
      if (npm.exitCode === null) npm.kill('SIGKILL');
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      npm.on('exit', (code, signal) => resolve({ code, signal })),
    );
    let stderr = '';
    npm.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const lines: Record<string, unknown>[] = [];
    let buffered = '';
    npm.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const part of parts) if (part.startsWith('{')) lines.push(JSON.parse(part) as Record<string, unknown>);
    });

    const listening = await vi.waitFor(
      () => {
        if (npm.exitCode !== null) throw new Error(`npm start exited early: ${stderr}`);
        const line = lines.find((l) => l.msg === 'CEOS is listening');
        if (!line) throw new Error('not listening yet');
        return line;
      },
      { timeout: 90_000, interval: 50 },
    );
    server = listening.pid as number;
    const url = listening.url as string;
    expect(server).not.toBe(npm.pid);
    expect(await answers(url)).toBe(true);

    process.kill(npm.pid!, 'SIGTERM');
    const { code, signal } = await exited;
    // npm reports the script's end: a clean exit, or the signal it passed on.
    expect(code === 0 || signal === 'SIGTERM' || code === 143).toBe(true);
    await vi.waitFor(() => expect(alive(server!)).toBe(false), { timeout: 30_000, interval: 50 });
    expect(await answers(url)).toBe(false);
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['shutting down', 'stopped']));
    expect(lines.find((l) => l.msg === 'shutting down')).toMatchObject({ signal: 'SIGTERM' });
  });
});
