import { DOMAIN_EVENTS_CHANNEL } from '../../db/domain-events.js';
import { DomainEventDispatcher } from '../../engine/domain-event-dispatcher.js';
import { defineCapability } from '../capability.js';

/**
 * The domain-event outbox: events recorded with the changes they describe are dispatched to the
 * in-process bus, whose first subscriber is a log line and a counter per event. Notification
 * channels subscribe to `ctx.events` in capabilities of their own. Dispatching runs on every
 * instance with workers, credentials or not: it needs only the database.
 */
export const domainEventsCapability = defineCapability({
  name: 'domain-events',
  register({ config, database, events, metrics, log }) {
    events.subscribe('*', (event) => {
      metrics.domainEvents.inc({ type: event.type });
      log.info({ event: event.type, org: event.org, ...event.payload }, 'domain event');
    });
    let stop: (() => Promise<void>) | undefined;
    return {
      async start() {
        if (!config.workersEnabled) return;
        const dispatcher = new DomainEventDispatcher(database.db, events, log);
        const unlisten = await database.listen(DOMAIN_EVENTS_CHANNEL, () => dispatcher.wake());
        dispatcher.start();
        stop = async () => {
          await unlisten();
          await dispatcher.stop();
        };
      },
      shutdown: async () => stop?.(),
    };
  },
});
