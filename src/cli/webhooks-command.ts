import { type Command, Option } from 'commander';
import type { Config } from '../app/config.js';
import { listMessages } from '../db/notification-messages.js';
import { findSubscription, listSubscriptions } from '../db/notification-subscriptions.js';
import type { NotificationFormat } from '../db/notification-schema.js';
import {
  EncryptionKeyMissingError,
  type SubscriptionDeps,
  createSubscription,
  queueTestMessage,
  removeSubscription,
  viewOf,
} from '../notifications/manage-subscriptions.js';
import { NOTIFICATION_TYPES, type NotificationType } from '../notifications/notification-types.js';
import { UnsafeTargetError } from '../notifications/target-safety.js';
import { secretBoxOf } from '../security/secret-box-config.js';
import type { WithDatabase } from './audit-command.js';
import { formatTable } from './format-table.js';
import { CliUserError } from './plans-command.js';

/** How the CLI is named in audit entries. */
const CLI_ACTOR = 'cli';

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)];
}

/**
 * Adds `webhooks add|list|remove|test`: notification subscriptions, managed on the database
 * directly as the API manages them (same checks, same audit entries).
 */
export function registerWebhookCommands(program: Command, withDatabase: WithDatabase, out: (text: string) => void, config: () => Promise<Config>): void {
  const webhooks = program.command('webhooks').description('notification webhooks (Standard Webhooks, Slack, Teams)');
  const deps = async (db: SubscriptionDeps['db']): Promise<SubscriptionDeps> => {
    const cfg = await config();
    return { db, box: secretBoxOf(cfg.notifications), allowPrivate: cfg.notifications.allowPrivateTargets, publicUrl: cfg.dashboard.publicUrl };
  };

  webhooks
    .command('add <url>')
    .description('subscribe a URL; prints the signing secret once')
    .requiredOption('--event <type>', `an event to send (repeat or comma-separate): ${NOTIFICATION_TYPES.join(', ')}`, collect)
    .addOption(new Option('--format <format>', 'message format').choices(['standard', 'slack', 'teams']).default('standard'))
    .option('--org <login>', 'only events of this organization (repeatable)', collect)
    .option('--json', 'print JSON')
    .action(async (url: string, opts: { event: string[]; format: NotificationFormat; org?: string[]; json?: boolean }) => {
      const unknown = opts.event.filter((e) => !(NOTIFICATION_TYPES as readonly string[]).includes(e));
      if (unknown.length > 0) throw new CliUserError(`unknown event ${unknown.join(', ')}; choose from ${NOTIFICATION_TYPES.join(', ')}`);
      await withDatabase(async ({ db }) => {
        try {
          const { view, secret } = await createSubscription(await deps(db), { url, events: opts.event as NotificationType[], format: opts.format, orgs: opts.org, actor: CLI_ACTOR });
          if (opts.json) return out(JSON.stringify({ ...view, secret }, null, 2));
          out(`webhook ${view.id} created (${view.format}, ${view.events.join(', ')}${view.orgs ? `, orgs ${view.orgs.join(', ')}` : ''})`);
          out(`signing secret (shown once): ${secret}`);
        } catch (error) {
          if (error instanceof EncryptionKeyMissingError || error instanceof UnsafeTargetError) throw new CliUserError(error.message);
          throw error;
        }
      });
    });

  webhooks
    .command('list')
    .description('list webhooks with their state and latest delivery')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      await withDatabase(async ({ db }) => {
        const box = secretBoxOf((await config()).notifications);
        const rows = await listSubscriptions(db, { limit: 1000 });
        const views = await Promise.all(
          rows.map(async (r) => ({ ...viewOf(box, r), last: (await listMessages(db, r.id, { limit: 1, attemptsShown: 0 }))[0] })),
        );
        if (opts.json) return out(JSON.stringify(views.map(({ last, ...v }) => ({ ...v, last_delivery: last ? { id: last.id, type: last.type, state: last.state, attempts: last.attempts, last_status: last.last_status } : null })), null, 2));
        if (views.length === 0) return out('no webhooks');
        out(
          formatTable(
            ['id', 'format', 'state', 'events', 'orgs', 'url', 'last delivery'],
            views.map((v) => [v.id, v.format, v.state, v.events.join(','), v.orgs?.join(',') ?? '*', v.url, v.last ? `${v.last.type} ${v.last.state} (${v.last.attempts})` : '']),
          ),
        );
      });
    });

  webhooks
    .command('remove <id>')
    .description('delete a webhook and its deliveries')
    .action(async (id: string) => {
      await withDatabase(async ({ db }) => {
        const removed = await removeSubscription(await deps(db), id, CLI_ACTOR);
        if (!removed) throw new CliUserError(`no webhook ${id}`);
        out(`webhook ${id} deleted`);
      });
    });

  webhooks
    .command('test <id>')
    .description('queue a test message (a running instance sends it)')
    .action(async (id: string) => {
      await withDatabase(async ({ db }) => {
        if (!(await findSubscription(db, id))) throw new CliUserError(`no webhook ${id}`);
        const message = await queueTestMessage(await deps(db), id, CLI_ACTOR);
        out(`test message ${message!.id} queued for webhook ${id}; follow it with GET /api/v1/webhooks/${id}/deliveries`);
      });
    });
}
