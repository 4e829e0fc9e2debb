import { fromKysely } from 'pg-boss';
import type { Probot } from 'probot';
import { findInstallationByAccountId, orgKey } from '../db/installations.js';
import { moveOrganization } from '../db/move-organization.js';
import { RECONCILE_QUEUE, enqueueReconcile } from '../jobs/reconcile-queue.js';
import type { HandlerDeps } from './handler-deps.js';
import { organizationRenamedSchema, parsePayload } from './payload-schemas.js';

/**
 * `organization.renamed`: the organization is found by its account id and its rows move to the
 * key of the new login (installation, mirror, policy, overrides, plans, commands; the audit
 * chain continues as `moveOrganization` describes). The old key's schedule goes, and a full sync
 * under the new key follows, which schedules the organization again under its new key. A
 * redelivery finds the rows already moved and only makes sure the old schedule is gone.
 */
export function registerOrganizationRenamedHandler(app: Probot, { db, boss, log }: HandlerDeps): void {
  app.on('organization.renamed', async (context) => {
    const payload = parsePayload(organizationRenamedSchema, 'organization.renamed', context.payload);
    const installation = await findInstallationByAccountId(db, payload.organization.id);
    if (!installation) return;
    const toLogin = payload.organization.login;
    const fromLogin = payload.changes?.login?.from ?? installation.account_login;
    const fromKey = installation.org;
    const toKey = orgKey(toLogin);
    // The schedule is keyed by the organization key; runs it still starts under the old key are
    // skipped (the installation is no longer under it), so unscheduling after the commit is safe.
    const unscheduleOld = async () => {
      for (const key of new Set([fromKey, orgKey(fromLogin)])) if (key !== toKey) await boss.unschedule(RECONCILE_QUEUE, key);
    };
    if (fromKey === toKey && installation.account_login === toLogin) {
      await unscheduleOld();
      return;
    }
    const moved = await db.transaction().execute(async (trx) => {
      const result = await moveOrganization(trx, {
        fromKey,
        fromLogin,
        toLogin,
        accountId: payload.organization.id,
        installationId: Number(installation.id),
        actor: payload.sender?.login ?? 'github',
        at: new Date(),
      });
      if (installation.status === 'active' && installation.account_type === 'Organization') {
        await enqueueReconcile(
          boss,
          { org: result.toKey, installationId: Number(installation.id), trigger: 'webhook', actor: payload.sender?.login ?? 'github', refreshGraph: true, report: { kind: 'compliance_check' } },
          { db: fromKysely(trx) },
        );
      }
      return result;
    });
    await unscheduleOld();
    log.info({ org: moved.toKey, from: fromKey, installation: Number(installation.id), moved: moved.moved }, 'organization renamed');
  });
}
