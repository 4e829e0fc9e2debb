import { commandHandlers } from '../../handlers/index.js';
import { createCommandQueue } from '../../jobs/command-queue.js';
import { startCommandWorker } from '../../jobs/copilot-command.js';
import { defineCapability } from '../capability.js';

/** `/copilot …` slash commands in issue comments: recorded once by the handler, carried out by a job. */
export const commandsCapability = defineCapability({
  name: 'commands',
  register({ db, boss, log, policyLocation }) {
    return {
      start: () => createCommandQueue(boss),
      handlers: commandHandlers({ db, boss, log, policyLocation }),
      startWorkers: ({ probot }) => startCommandWorker({ boss, db, probot, log }),
    };
  },
});
