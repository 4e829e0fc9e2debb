import { type CeosProcess, killProcesses, spawnCeosProcess } from './cli.js';
import { type RoundRobinProxy, startRoundRobinProxy } from './round-robin-proxy.js';

/** Several `ceos start` processes on one database behind a round-robin proxy. */
export interface Instances {
  processes: CeosProcess[];
  /** The load balancer in front of them: send webhooks to `proxy.url`. */
  proxy: RoundRobinProxy;
  /** SIGKILLs one process and waits for it to exit. */
  kill(index: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Stops everything still running (SIGKILL) and the proxy. */
  close(): Promise<void>;
}

/**
 * Starts `count` real CEOS processes with `env` (which names the shared database). The first starts
 * alone, so it applies the migrations and creates the job queue's schema; the others then start together.
 */
export async function startInstances(count: number, env: Record<string, string | undefined>, timeoutMs = 90_000): Promise<Instances> {
  const processes: CeosProcess[] = [];
  const listening = (child: CeosProcess) => child.waitForLine((line) => line.msg === 'CEOS is listening', timeoutMs);
  try {
    processes.push(spawnCeosProcess(env));
    await listening(processes[0]!);
    const rest = Array.from({ length: count - 1 }, () => spawnCeosProcess(env));
    processes.push(...rest);
    await Promise.all(rest.map(listening));
  } catch (error) {
    await killProcesses(processes);
    throw error;
  }
  const proxy = await startRoundRobinProxy(processes.map((p) => p.url));
  return {
    processes,
    proxy,
    async kill(index) {
      const child = processes[index]!;
      child.child.kill('SIGKILL');
      return child.exited;
    },
    async close() {
      await killProcesses([...processes]);
      await proxy.close();
    },
  };
}
