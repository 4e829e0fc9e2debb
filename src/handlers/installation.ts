import type { Probot } from 'probot';
import { appendAudit } from '../db/audit-log.js';
import { orgKey, setInstallationStatus, upsertInstallation } from '../db/installations.js';
import { RECONCILE_QUEUE, enqueueReconcile } from '../jobs/reconcile-queue.js';
import type { HandlerDeps } from './handler-deps.js';

interface InstallationPayload {
  id: number;
  account: { login: string; id: number; type?: string } | null;
  repository_selection?: string;
  permissions?: Record<string, string>;
  events?: string[];
}

function facts(installation: InstallationPayload) {
  const account = installation.account!;
  return {
    id: installation.id,
    accountLogin: account.login,
    accountId: account.id,
    accountType: account.type ?? 'Organization',
    repositorySelection: installation.repository_selection ?? null,
    permissions: installation.permissions ?? {},
    events: installation.events ?? [],
  };
}

/**
 * Installations are the tenants. Installing (or unsuspending) records the organization and starts
 * a full sync and reconciliation; suspending or uninstalling stops its work and schedule, and
 * keeps its history.
 */
export function registerInstallationHandlers(app: Probot, { db, boss, log }: HandlerDeps): void {
  app.on(['installation.created', 'installation.unsuspend', 'installation.new_permissions_accepted'], async (context) => {
    const installation = context.payload.installation as InstallationPayload;
    if (!installation.account) return;
    const info = facts(installation);
    await db.transaction().execute(async (trx) => {
      await upsertInstallation(trx, info, 'active');
      await appendAudit(trx, {
        org: orgKey(info.accountLogin),
        actor: context.payload.sender.login,
        actorType: 'user',
        action: context.payload.action === 'created' ? 'installation.created' : `installation.${context.payload.action}`,
        target: String(info.id),
        reason: `GitHub App ${context.payload.action === 'created' ? 'installed' : context.payload.action.replace(/_/g, ' ')} on ${info.accountLogin}`,
        details: { installationId: info.id, permissions: info.permissions },
      });
    });
    log.info({ org: info.accountLogin, installation: info.id, action: context.payload.action }, 'installation active');
    if (info.accountType !== 'Organization') return;
    await enqueueReconcile(boss, {
      org: orgKey(info.accountLogin),
      installationId: info.id,
      trigger: 'install',
      actor: context.payload.sender.login,
      refreshGraph: true,
      report: { kind: 'compliance_check' },
    });
  });

  app.on(['installation.deleted', 'installation.suspend'], async (context) => {
    const installation = context.payload.installation as InstallationPayload;
    const status = context.payload.action === 'deleted' ? 'deleted' : 'suspended';
    await db.transaction().execute(async (trx) => {
      if (installation.account) await upsertInstallation(trx, facts(installation), status);
      else await setInstallationStatus(trx, installation.id, status);
      if (installation.account) {
        await appendAudit(trx, {
          org: orgKey(installation.account.login),
          actor: context.payload.sender?.login ?? 'github',
          actorType: 'user',
          action: `installation.${context.payload.action}`,
          target: String(installation.id),
          reason: `GitHub App ${status} on ${installation.account.login}; CEOS stops working there`,
        });
      }
    });
    if (installation.account) await boss.unschedule(RECONCILE_QUEUE, orgKey(installation.account.login));
    log.info({ installation: installation.id, status }, 'installation stopped');
  });

  app.on(['installation_repositories.added', 'installation_repositories.removed'], async (context) => {
    const installation = context.payload.installation as InstallationPayload;
    if (!installation.account) return;
    await upsertInstallation(db, facts(installation), 'active');
  });
}
