import { fromKysely } from 'pg-boss';
import type { Probot } from 'probot';
import { appendAuditEntries } from '../db/audit-log.js';
import { type InstallationFacts, enterpriseKey, orgKey, setInstallationStatus, upsertInstallation } from '../db/installations.js';
import { RECONCILE_QUEUE, enqueueReconcile } from '../jobs/reconcile-queue.js';
import type { HandlerDeps } from './handler-deps.js';
import {
  type InstallationEvent,
  installationEventSchema,
  installationRepositoriesEventSchema,
  isEnterprise,
  parsePayload,
} from './payload-schemas.js';

type InstallationObject = InstallationEvent['installation'];

/** What CEOS records of an installation, and the key of its audit chain. */
interface InstallationRecord {
  facts: InstallationFacts;
  /** The audit chain the installation's entries go to. */
  chain: string;
  /** How the account is named in words: `acme` or `the enterprise acme-corp`. */
  named: string;
  /** Whether CEOS governs the account: organizations only, for now. */
  governed: boolean;
}

/** The installation's facts; undefined when the payload names no account. */
function recordOf(installation: InstallationObject): InstallationRecord | undefined {
  const account = installation.account;
  if (account === null) return undefined;
  const base = {
    id: installation.id,
    accountId: account.id,
    repositorySelection: installation.repository_selection ?? null,
    permissions: installation.permissions ?? {},
    events: installation.events ?? [],
  };
  if (isEnterprise(installation)) {
    // The schema made sure an enterprise account has its slug.
    const slug = account.slug!;
    return {
      facts: { ...base, accountLogin: slug, accountType: 'Enterprise' },
      chain: enterpriseKey(slug),
      named: `the enterprise ${slug}`,
      governed: false,
    };
  }
  const login = account.login!;
  const accountType = account.type ?? installation.target_type ?? 'Organization';
  return { facts: { ...base, accountLogin: login, accountType }, chain: orgKey(login), named: login, governed: accountType === 'Organization' };
}

/**
 * Installations are the tenants. Installing (or unsuspending) records the organization, its audit
 * entry and the full sync and reconciliation that start it in one transaction, so a retried
 * delivery records nothing twice; suspending or uninstalling stops its work and schedule, and
 * keeps its history. Installations on enterprise accounts and users are recorded (with their
 * account type) and reported as not governed: CEOS governs organizations.
 */
export function registerInstallationHandlers(app: Probot, { db, boss, log }: HandlerDeps): void {
  app.on(['installation.created', 'installation.unsuspend', 'installation.new_permissions_accepted'], async (context) => {
    const payload = parsePayload(installationEventSchema, `installation.${context.payload.action}`, context.payload);
    const record = recordOf(payload.installation);
    if (record === undefined) {
      log.warn({ installation: payload.installation.id, action: payload.action, delivery: context.id }, 'installation event names no account; nothing recorded');
      return;
    }
    const { facts } = record;
    const action = `installation.${payload.action}`;
    const sender = payload.sender?.login ?? 'github';
    const verb = payload.action === 'created' ? 'installed' : payload.action.replace(/_/g, ' ');
    const queued = await db.transaction().execute(async (trx) => {
      await upsertInstallation(trx, facts, 'active');
      const recorded = await appendAuditEntries(trx, record.chain, [
        {
          actor: sender,
          actorType: 'user',
          action,
          target: String(facts.id),
          reason: record.governed
            ? `GitHub App ${verb} on ${record.named}`
            : `GitHub App ${verb} on ${record.named} (${facts.accountType}); CEOS governs organizations only, so it does nothing there`,
          details: { installationId: facts.id, accountType: facts.accountType, governed: record.governed, permissions: facts.permissions, delivery: context.id },
          idempotencyKey: `${context.id}:${action}`,
        },
      ]);
      // Nothing recorded means this delivery was handled before (a retry): its run is queued already.
      if (recorded.length === 0 || !record.governed) return null;
      return enqueueReconcile(
        boss,
        {
          org: record.chain,
          installationId: facts.id,
          trigger: 'install',
          actor: sender,
          refreshGraph: true,
          report: { kind: 'compliance_check' },
        },
        { db: fromKysely(trx) },
      );
    });
    const fields = { org: record.chain, installation: facts.id, accountType: facts.accountType, action: payload.action, job: queued, delivery: context.id };
    if (record.governed) log.info(fields, 'installation active');
    else log.warn(fields, 'installation recorded but not governed: CEOS governs organizations only');
  });

  app.on(['installation.deleted', 'installation.suspend'], async (context) => {
    const payload = parsePayload(installationEventSchema, `installation.${context.payload.action}`, context.payload);
    const record = recordOf(payload.installation);
    const status = payload.action === 'deleted' ? 'deleted' : 'suspended';
    const action = `installation.${payload.action}`;
    await db.transaction().execute(async (trx) => {
      if (record === undefined) {
        await setInstallationStatus(trx, payload.installation.id, status);
        return;
      }
      await upsertInstallation(trx, record.facts, status);
      await appendAuditEntries(trx, record.chain, [
        {
          actor: payload.sender?.login ?? 'github',
          actorType: 'user',
          action,
          target: String(record.facts.id),
          reason: `GitHub App ${status} on ${record.named}; CEOS stops working there`,
          details: { installationId: record.facts.id, accountType: record.facts.accountType, delivery: context.id },
          idempotencyKey: `${context.id}:${action}`,
        },
      ]);
      // The organization's schedule goes with the rows, so a failed commit leaves it running.
      if (record.governed) await boss.unschedule(RECONCILE_QUEUE, record.chain, { db: fromKysely(trx) });
    });
    log.info({ installation: payload.installation.id, org: record?.chain, status, delivery: context.id }, 'installation stopped');
  });

  app.on(['installation_repositories.added', 'installation_repositories.removed'], async (context) => {
    const payload = parsePayload(installationRepositoriesEventSchema, `installation_repositories.${context.payload.action}`, context.payload);
    const record = recordOf(payload.installation);
    if (record === undefined) return;
    await upsertInstallation(db, record.facts, 'active');
  });
}
