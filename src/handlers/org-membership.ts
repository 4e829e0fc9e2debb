import { type Transaction, sql } from 'kysely';
import type { Probot } from 'probot';
import { findInstallation, findInstallationByAccountId } from '../db/installations.js';
import { setMember, setTeam, setTeamMembership, teamSlugById } from '../db/mirror.js';
import type { Database } from '../db/schema.js';
import { foldIntoDebouncedReconcile } from '../jobs/debounced-reconcile.js';
import { deliveryTime } from './event-time.js';
import type { HandlerDeps } from './handler-deps.js';
import { orgMemberEventSchema, parsePayload, teamEventSchema, teamMembershipEventSchema } from './payload-schemas.js';

interface OrgPayload {
  organization?: { login: string; id: number };
  installation?: { id: number } | null;
  sender?: { login: string } | null;
}

/**
 * The active installation an event belongs to, or undefined when CEOS does not govern it. The
 * organization is recognised by its account id, which a rename never changes, and its rows are
 * written under the installation's key: an event that arrives after a rename but before
 * `organization.renamed` is processed lands where the rename will move it from.
 */
export async function governedOrg(deps: Pick<HandlerDeps, 'db'>, payload: OrgPayload) {
  if (!payload.organization) return undefined;
  const installation = payload.installation
    ? await findInstallation(deps.db, payload.installation.id)
    : await findInstallationByAccountId(deps.db, payload.organization.id);
  if (!installation || installation.status !== 'active' || Number(installation.account_id) !== payload.organization.id) return undefined;
  return { org: installation.org, installationId: Number(installation.id) };
}

/** Folds a reconciliation into the organization's debounced run, in the transaction of the change. */
async function reconcileSoon(deps: HandlerDeps, trx: Transaction<Database>, target: { org: string; installationId: number }, actor: string) {
  await foldIntoDebouncedReconcile(deps.boss, trx, { org: target.org, installationId: target.installationId, trigger: 'webhook', actor });
}

/**
 * Keeps the mirror's members, teams and team memberships current between full syncs. Each change
 * is stamped with its delivery's time (out-of-order deliveries cannot undo newer ones), and a burst
 * of changes folds into one debounced reconciliation.
 */
export function registerMembershipHandlers(app: Probot, deps: HandlerDeps): void {
  const { db } = deps;

  app.on(['organization.member_added', 'organization.member_removed'], async (context) => {
    const payload = parsePayload(orgMemberEventSchema, `organization.${context.payload.action}`, context.payload);
    const target = await governedOrg(deps, payload);
    if (!target) return;
    const user = payload.membership.user;
    if (!user) return;
    const present = payload.action === 'member_added';
    const role = payload.membership.role === 'admin' ? 'admin' : 'member';
    const at = await deliveryTime(db, context.id);
    await db.transaction().execute(async (trx) => {
      await setMember(trx, target.org, { login: user.login, id: user.id, role }, present, at);
      await reconcileSoon(deps, trx, target, payload.sender?.login ?? 'github');
    });
  });

  app.on(['membership.added', 'membership.removed'], async (context) => {
    const payload = parsePayload(teamMembershipEventSchema, `membership.${context.payload.action}`, context.payload);
    const target = await governedOrg(deps, payload);
    if (!target || payload.scope !== 'team') return;
    const { team, member } = payload;
    if (!member) return;
    const slug = team.slug ?? (await teamSlugById(db, target.org, team.id));
    if (!slug) return;
    const at = await deliveryTime(db, context.id);
    await db.transaction().execute(async (trx) => {
      await setTeamMembership(trx, target.org, slug, { login: member.login, id: member.id }, payload.action === 'added', at);
      await reconcileSoon(deps, trx, target, payload.sender?.login ?? 'github');
    });
  });

  app.on(['team.created', 'team.edited', 'team.deleted'], async (context) => {
    const payload = parsePayload(teamEventSchema, `team.${context.payload.action}`, context.payload);
    const target = await governedOrg(deps, payload);
    if (!target) return;
    const team = payload.team;
    const at = await deliveryTime(db, context.id);
    const present = payload.action !== 'deleted';
    await db.transaction().execute(async (trx) => {
      if (payload.action === 'edited') {
        // A rename changes the slug: the old slug's row goes, memberships move to the new one.
        const previous = await teamSlugById(trx, target.org, team.id);
        if (previous && previous !== team.slug) {
          // Memberships move before the old slug is marked gone, which would end them. One the new
          // slug already has (an event that named it first) is kept as it is.
          await sql`update org_team_members m set team_slug = ${team.slug}
                     where m.org = ${target.org} and m.team_slug = ${previous}
                       and not exists (select 1 from org_team_members n
                                        where n.org = m.org and n.team_slug = ${team.slug} and n.user_id = m.user_id)`.execute(trx);
          await setTeam(trx, target.org, { slug: previous, id: team.id, name: team.name, parentSlug: null }, false, at);
        }
      }
      await setTeam(trx, target.org, { slug: team.slug, id: team.id, name: team.name, parentSlug: team.parent?.slug ?? null }, present, at);
      await reconcileSoon(deps, trx, target, payload.sender?.login ?? 'github');
    });
  });
}
