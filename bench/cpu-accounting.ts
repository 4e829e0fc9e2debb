// CPU time by process, read from /proc, so a benchmark can say where the machine's cores went during
// a load: the server under test, PostgreSQL (every `postgres` process: backends, WAL writer,
// checkpointer) and the load generator itself.
import { readFileSync, readdirSync } from 'node:fs';

// Linux reports utime and stime in clock ticks; 100 a second on every platform Node supports here.
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) a process has used so far, or 0 once it is gone. */
function processCpuSeconds(pid: number | string): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: fields are counted after its end.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

function postgresCpuSeconds(): Map<string, number> {
  const seconds = new Map<string, number>();
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'postgres') continue;
    } catch {
      continue;
    }
    seconds.set(pid, processCpuSeconds(pid));
  }
  return seconds;
}

/** CPU seconds used between `start()` and `stop()`, per part. */
export interface CpuSplit {
  server: number;
  postgres: number;
  loadGenerator: number;
}

/** Starts counting CPU of the server process, PostgreSQL and this process. */
export function startCpuAccounting(serverPid: number): { stop(): CpuSplit } {
  const server = processCpuSeconds(serverPid);
  const postgres = postgresCpuSeconds();
  const self = process.cpuUsage();
  return {
    stop() {
      let pgSeconds = 0;
      // A backend that started during the load counts from zero; one that exited is lost (rare: the
      // pools keep their connections for the whole run).
      for (const [pid, now] of postgresCpuSeconds()) pgSeconds += now - (postgres.get(pid) ?? 0);
      const used = process.cpuUsage(self);
      return { server: processCpuSeconds(serverPid) - server, postgres: pgSeconds, loadGenerator: (used.user + used.system) / 1e6 };
    },
  };
}
