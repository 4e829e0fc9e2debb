// Runs one CEOS process for the intake benchmark; configured through the environment like the
// real thing, and reporting its URL to the parent over IPC.
import { loadConfig } from '../src/app/config.js';
import { startCeos } from '../src/app/ceos.js';
import { createLogger } from '../src/app/logger.js';

const config = loadConfig(process.env);
const log = createLogger(config.logLevel);
const ceos = await startCeos(config, { log, pollIntervalMs: 1000 });
process.send?.({ url: ceos.url });
process.on('message', async (message: { stop?: boolean }) => {
  if (message.stop) {
    await ceos.close();
    process.exit(0);
  }
});
