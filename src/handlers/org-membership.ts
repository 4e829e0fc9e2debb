import { sql } from 'kysely';
import type { Probot } from 'probot';
import { findInstallation, findInstallationByAccountId } from '../db/installations.js';
import { setMember, setTeam, setTeamMembership, teamSlugById } from '../db/mirror.js';
import { enqueueReconcile } from '../jobs/reconcile-queue.js';
import { deliveryTime } from './event-time.js';
import type { HandlerDeps } from './handler-deps.js';

interface OrgPayload {
  organization?: { login: string; id: number };
  installation?: { id: number };
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

async function reconcileSoon(deps: HandlerDeps, target: { org: string; installationId: number }, actor: string) {
  await enqueueReconcile(
    deps.boss,
    { org: target.org, installationId: target.installationId, trigger: 'webhook', actor },
    { debounce: true },
  );
}

/**
 * Keeps the mirror's members, teams and team memberships current between full syncs. Each change
 * is stamped with its delivery's time (out-of-order deliveries cannot undo newer ones), and a burst
 * of changes folds into one debounced reconciliation.
 */
export function registerMembershipHandlers(app: Probot, deps: HandlerDeps): void {
  const { db } = deps;

  app.on(['organization.member_added', 'organization.member_removed'], async (context) => {
    const target = await governedOrg(deps, context.payload);
    if (!target) return;
    const membership = context.payload.membership as { user: { login: string; id: number } | null; role: string };
    if (!membership.user) return;
    const present = context.payload.action === 'member_added';
    const role = membership.role === 'admin' ? 'admin' : 'member';
    await setMember(db, target.org, { login: membership.user.login, id: membership.user.id, role }, present, await deliveryTime(db, context.id));
    await reconcileSoon(deps, target, context.payload.sender?.login ?? 'github');
  });

  app.on(['membership.added', 'membership.removed'], async (context) => {
    const target = await governedOrg(deps, context.payload);
    if (!target || context.payload.scope !== 'team') return;
    const team = context.payload.team as { slug?: string; id: number };
    const member = context.payload.member as { login: string; id: number } | null;
    if (!member) return;
    const slug = team.slug ?? (await teamSlugById(db, target.org, team.id));
    if (!slug) return;
    await setTeamMembership(db, target.org, slug, { login: member.login, id: member.id }, context.payload.action === 'added', await deliveryTime(db, context.id));
    await reconcileSoon(deps, target, context.payload.sender?.login ?? 'github');
  });

  app.on(['team.created', 'team.edited', 'team.deleted'], async (context) => {
    const target = await governedOrg(deps, context.payload);
    if (!target) return;
    const team = context.payload.team as { slug: string; id: number; name: string; parent?: { slug: string } | null };
    const at = await deliveryTime(db, context.id);
    const present = context.payload.action !== 'deleted';
    if (context.payload.action === 'edited') {
      // A rename changes the slug: the old slug's row goes, memberships move to the new one.
      const previous = await teamSlugById(db, target.org, team.id);
      if (previous && previous !== team.slug) {
        await db.transaction().execute(async (trx) => {
          // Memberships move before the old slug is marked gone, which would end them. One the new
          // slug already has (an event that named it first) is kept as it is.
          await sql`update org_team_members m set team_slug = ${team.slug}
                     where m.org = ${target.org} and m.team_slug = ${previous}
                       and not exists (select 1 from org_team_members n
                                        where n.org = m.org and n.team_slug = ${team.slug} and n.user_id = m.user_id)`.execute(trx);
          await setTeam(trx, target.org, { slug: previous, id: team.id, name: team.name, parentSlug: null }, false, at);
        });
      }
    }
    await setTeam(db, target.org, { slug: team.slug, id: team.id, name: team.name, parentSlug: team.parent?.slug ?? null }, present, at);
    await reconcileSoon(deps, target, context.payload.sender?.login ?? 'github');
  });
}
