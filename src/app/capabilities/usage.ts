import { COLLECT_USAGE_ALL_QUEUE, USAGE_QUEUE_SPECS } from '../../jobs/collect-usage-queue.js';
import { startUsageWorkers } from '../../jobs/collect-usage.js';
import { registerUsageBackfillHandler } from '../../handlers/usage-backfill-on-install.js';
import type { DownloadFile } from '../../github/usage-file-download.js';
import { defineCapability } from '../capability.js';

/**
 * Copilot usage collection: GitHub's daily usage reports and a daily seat snapshot per
 * organization, stored per day (docs/analytics.md, "Collection"). The daily run is a pg-boss
 * schedule, so it fires once per cluster; installing CEOS backfills 28 days. The queues exist
 * even with collection off, so a refresh queued through the API or CLI waits instead of failing.
 * Option `usageDownload` replaces what downloads report files (tests).
 */
export const usageCapability = defineCapability({
  name: 'usage',
  register({ config, db, boss, log }) {
    const usageLog = log.child({ component: 'usage' });
    if (!config.usage.enabled) return { queues: USAGE_QUEUE_SPECS };
    return {
      queues: USAGE_QUEUE_SPECS,
      handlers: (app) => registerUsageBackfillHandler(app, { boss, log: usageLog }),
      async startWorkers({ probot, metrics, options }) {
        await startUsageWorkers({ boss, db, probot, log: usageLog, metrics, download: options.usageDownload as DownloadFile | undefined });
      },
      schedules: [{ queue: COLLECT_USAGE_ALL_QUEUE, cron: config.usage.schedule }],
    };
  },
});
