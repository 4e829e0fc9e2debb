import { readFileSync } from 'node:fs';

/** Where a peak RSS reading came from. */
export type PeakRssSource = 'VmHWM' | 'maxRSS';

/**
 * The peak resident set size of this process so far, in bytes. On Linux it is `VmHWM` from
 * /proc/self/status: `process.resourceUsage().maxRSS` (getrusage) carries over the parent's peak
 * into a child started with fork + exec, so a child that plans a 100 MB snapshot would report the
 * parent's 600 MB. Elsewhere it falls back to maxRSS.
 */
export function peakRss(): { bytes: number; source: PeakRssSource } {
  try {
    const kb = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (kb !== undefined) return { bytes: Number(kb) * 1024, source: 'VmHWM' };
  } catch {
    // No procfs (macOS, Windows): getrusage is what there is.
  }
  return { bytes: process.resourceUsage().maxRSS * 1024, source: 'maxRSS' };
}
