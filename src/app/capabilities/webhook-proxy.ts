import { WEBHOOK_PATH } from '../../intake/webhook-route.js';
import { defineCapability } from '../capability.js';

/**
 * Development only: with `WEBHOOK_PROXY_URL` set, forwards a smee.io channel's webhooks to this
 * process's own intake, so an app behind a firewall receives them.
 */
export const webhookProxyCapability = defineCapability({
  name: 'webhook-proxy',
  register({ config, log }) {
    let stop: (() => Promise<void>) | undefined;
    return {
      async onListening(url) {
        if (!config.webhookProxyUrl) return;
        const { SmeeClient } = await import('smee-client');
        const smee = new SmeeClient({
          source: config.webhookProxyUrl,
          target: `${url.replace('0.0.0.0', '127.0.0.1')}${WEBHOOK_PATH}`,
          logger: {
            info: (...args: unknown[]) => log.info({ detail: args.map(String).join(' ') }, 'webhook proxy'),
            error: (...args: unknown[]) => log.error({ detail: args.map(String).join(' ') }, 'webhook proxy'),
          },
        });
        await smee.start();
        stop = () => smee.stop();
        log.info({ source: config.webhookProxyUrl }, 'forwarding webhooks from the development proxy');
      },
      shutdown: async () => stop?.(),
    };
  },
});
