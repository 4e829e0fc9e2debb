import type { Kysely, Transaction } from 'kysely';
import type { Logger } from 'pino';
import { appendAudit, appendAuditEntries } from '../db/audit-log.js';
import { recordDomainEvents } from '../db/domain-events.js';
import { findInstallation } from '../db/installations.js';
import { loadSnapshot, readSyncState, recordAppliedSeatChanges, replaceOrgGraph, replaceSeats, upsertBilling } from '../db/mirror.js';
import { createOverrides, liftedOverrideEntries, listActiveOverrides, toSeatOverride } from '../db/overrides.js';
import { findPlan, finishPlan, recordChangeResults, storePlan, summarizeChanges, supersedeHeldPlans } from '../db/plans.js';
import { lockApplyingPlan, recordPlanRun } from '../db/plan-reports.js';
import { readStoredPolicy, savePolicy } from '../db/policies.js';
import { listSeatWarnings } from '../db/seat-warnings.js';
import type { Database } from '../db/schema.js';
import { outsideTenantRole, withTenant } from '../db/tenancy.js';
import { type AuditEntryInput, actorTypeOf } from '../domain/audit/audit-entry.js';
import type { OrgSnapshot, Plan, PlanEntry } from '../domain/plan-types.js';
import { type SafeguardConfirmation, planWithSafeguard } from '../domain/planner/safeguard.js';
import { type PolicyError, parsePolicy } from '../domain/policy/parse-policy.js';
import type { Policy } from '../domain/policy/policy-schema.js';
import { predominantPlanType } from '../domain/planner/seat-cost.js';
import { applySeatChanges } from '../github/apply-seat-changes.js';
import { checkOrgMemberships } from '../github/check-org-membership.js';
import { fetchCopilotBilling } from '../github/fetch-copilot-billing.js';
import { fetchCopilotSeats } from '../github/fetch-copilot-seats.js';
import { type GraphqlClient, fetchOrgGraph } from '../github/fetch-org-graph.js';
import type { GitHubOctokit } from '../github/github-octokit.js';
import { fetchPolicyFile } from '../github/fetch-policy-file.js';
import { settleInactivityWarnings } from './inactivity-warnings.js';
import { expireStaleRequests } from './expire-seat-requests.js';
import type { ReconcileJob } from './reconcile-queue.js';
import { planAppliedKey, seatChangeKey, settleAbandonedPlansOfOrg } from './settle-plans.js';

/** Where each organization keeps its policy. */
export interface PolicyLocation {
  /** Repository name in the organization (`.github` by default). */
  repository: string;
  /** Path of the file in that repository. */
  path: string;
}

/** What a reconciliation run needs. */
export interface ReconcileDeps {
  db: Kysely<Database>;
  octokit: GitHubOctokit;
  graphql: GraphqlClient;
  log: Logger;
  policyLocation: PolicyLocation;
  /** Usernames per seat add/cancel request. */
  batchSize: number;
  /** Hours members and teams may age before a plan that cancels re-syncs them (config.mirrorMaxAgeHours; 24 unless told). */
  mirrorMaxAgeHours?: number;
  now: () => Date;
  /** The pg-boss id of the reconcile job, stored with the plan (the sweeper asks whether it is still live). */
  jobId?: string;
  /** Queues the report of a finished plan in the transaction that finishes it; without it nothing is reported. */
  queueReport?: (trx: Transaction<Database>, planId: string) => Promise<void>;
}

/** The policy as read for a run. */
export interface LoadedPolicy {
  policy: Policy | null;
  errors: PolicyError[] | null;
  sha: string | null;
}

/** What a run did. */
export interface ReconcileResult {
  status:
    | 'skipped'
    | 'planned'
    | 'applied'
    | 'partially_applied'
    | 'awaiting_confirmation'
    | 'report_only'
    | 'blocked'
    | 'no_policy'
    | 'invalid_policy';
  planId: string | null;
  plan: Plan | null;
  policy: LoadedPolicy | null;
  /** Seats changed on GitHub and changes that failed, when the plan was applied. */
  outcome: { added: string[]; cancelled: string[]; failed: { login: string; action: 'add' | 'cancel'; message: string }[] } | null;
}

/** Actor type of the actor that asked for the run. */
export function actorOf(job: Pick<ReconcileJob, 'trigger' | 'actor'>): Pick<AuditEntryInput, 'actor' | 'actorType'> {
  if (job.trigger === 'schedule' || job.trigger === 'resync') return { actor: 'schedule', actorType: 'schedule' };
  // A run asked for through the API is a key's (`api-key:…`) or, from a GitHub-signed-in dashboard session, a person's.
  if (job.trigger === 'api') return { actor: job.actor, actorType: actorTypeOf(job.actor) };
  if (job.trigger === 'install' || job.trigger === 'webhook') return { actor: 'ceos', actorType: 'app' };
  return { actor: job.actor, actorType: 'user' };
}

/**
 * Reads and validates the policy file from GitHub, and records what was read: in a tenant
 * transaction of `installationId` when given (see src/db/tenancy.ts).
 */
export async function loadPolicy(deps: ReconcileDeps, org: string, orgLogin: string, ref?: string, installationId?: string): Promise<LoadedPolicy> {
  const file = await fetchPolicyFile(deps.octokit as never, {
    owner: orgLogin,
    repo: deps.policyLocation.repository,
    path: deps.policyLocation.path,
    ref,
  });
  let loaded: LoadedPolicy = { policy: null, errors: null, sha: null };
  if (file.found) {
    const parsed = parsePolicy(file.text);
    loaded = parsed.ok ? { policy: parsed.policy, errors: null, sha: file.sha } : { policy: null, errors: parsed.errors, sha: file.sha };
  }
  if (!ref) {
    const previous = await readStoredPolicy(deps.db, org);
    const record = async (trx: Transaction<Database>) => {
      await savePolicy(trx, org, { sha: loaded.sha, ref: null, text: file.found ? file.text : null, policy: loaded.policy, errors: loaded.errors }, deps.now());
      if (!previous || previous.sha !== loaded.sha) {
        // A new version of the policy is part of the compliance record.
        await appendAudit(trx, {
          org,
          actor: 'ceos',
          actorType: 'app',
          action: 'policy.loaded',
          target: loaded.sha,
          reason: !file.found
            ? 'no policy file: nothing is changed'
            : loaded.errors
              ? `invalid policy (${loaded.errors.length} error${loaded.errors.length === 1 ? '' : 's'}): nothing is changed`
              : `policy in ${loaded.policy!.mode} mode`,
          details: { path: deps.policyLocation.path, repository: deps.policyLocation.repository, previousSha: previous?.sha ?? null },
        });
      }
    };
    await (installationId === undefined ? deps.db.transaction().execute(record) : withTenant(deps.db, installationId, record));
  }
  return loaded;
}

/**
 * One reconciliation run for an organization: refresh the mirror from GitHub (seats and billing
 * always, members and teams when asked), read the policy, plan, and apply the plan when the
 * policy enforces it. Every seat change is recorded per user as it happens, with its audit entry
 * in the same transaction; a run that fails part way leaves an exact record, and the next run
 * plans against GitHub's new state, so nothing done is ever sent again.
 */
export async function reconcileOrg(deps: ReconcileDeps, job: ReconcileJob): Promise<ReconcileResult> {
  const { db, log } = deps;
  const installation = await findInstallation(db, job.installationId);
  if (!installation || installation.status !== 'active' || installation.org !== job.org) {
    log.info({ org: job.org, installation: job.installationId }, 'reconciliation skipped: installation not active');
    return { status: 'skipped', planId: null, plan: null, policy: null, outcome: null };
  }
  const org = job.org;
  const orgLogin = installation.account_login;
  const started = deps.now();

  // Members and teams that never completed a full sync prove nothing about who left: such a run
  // syncs first. A sync that fails or comes back torn throws, so the run fails and retries; it
  // never yields a plan.
  let membersAsOf = (await readSyncState(db, org))?.membersSyncedAt ?? null;
  let graphReadThisRun = false;
  const syncGraph = async (why: string) => {
    const at = deps.now();
    const graph = await fetchOrgGraph(deps.graphql, orgLogin);
    await replaceOrgGraph(db, org, graph, at);
    membersAsOf = at;
    graphReadThisRun = true;
    log.info({ org, why, members: graph.members.length, teams: graph.teams.length, requests: graph.requests }, 'members and teams synced');
  };
  if (job.refreshGraph) await syncGraph('asked');
  else if (membersAsOf === null) await syncGraph('never fully synced');
  const [seatList, billing] = await Promise.all([fetchCopilotSeats(deps.octokit, orgLogin), fetchCopilotBilling(deps.octokit, orgLogin)]);
  await replaceSeats(db, org, seatList.seats, started);
  await upsertBilling(db, org, billing, started);
  // A plan still `applying` belongs to a run that stopped (runs of an organization are one at a
  // time): settle it from the seat list just read, before this run's changes could be taken for its.
  await settleAbandonedPlansOfOrg({ db, log, now: deps.now, queueReport: deps.queueReport && ((trx, p) => deps.queueReport!(trx, p.id)) }, org, seatList.seats);

  const policy = await loadPolicy(deps, org, orgLogin, undefined, installation.id);
  const overrides = (await listActiveOverrides(db, org, started)).map(toSeatOverride);
  const warnings = await listSeatWarnings(db, org);
  const confirmation = job.confirmPlanId === undefined ? null : await loadConfirmation(db, org, job.confirmPlanId);
  let snapshot = await loadSnapshot(db, org, orgLogin);
  // An invalid policy changes nothing: it is planned as if absent and reported with its errors.
  const planNow = (unconfirmedLeavers: readonly number[] = []) =>
    planWithSafeguard(
      {
        policy: policy.policy,
        snapshot,
        overrides,
        now: started.toISOString(),
        membership: { complete: membersAsOf !== null, asOf: membersAsOf?.toISOString() ?? null },
        unconfirmedLeavers,
        warnings,
      },
      confirmation,
    );
  let plan = planNow();
  const resyncAndReplan = async (why: string) => {
    await syncGraph(why);
    snapshot = await loadSnapshot(db, org, orgLogin);
    plan = planNow();
  };
  if (job.apply && plan.mode === 'enforce' && plan.status === 'ok' && !graphReadThisRun) {
    // A plan that cancels is made from members and teams no older than the configured age.
    const maxAgeMs = (deps.mirrorMaxAgeHours ?? 24) * 3_600_000;
    if (cancellationsOf(plan).length > 0 && membersAsOf !== null && started.getTime() - membersAsOf.getTime() > maxAgeMs) {
      await resyncAndReplan(`older than ${deps.mirrorMaxAgeHours ?? 24} hours`);
    }
  }
  if (job.apply && plan.mode === 'enforce' && plan.status === 'ok' && !graphReadThisRun) {
    const leavers = cancellationsOf(plan).filter((e) => e.reason.code === 'not_org_member' && e.userId !== null);
    if (leavers.length > 0) {
      const fullSyncCost = graphSyncRequests(snapshot);
      if (leavers.length > fullSyncCost) {
        await resyncAndReplan(`${leavers.length} departures to confirm, a full sync costs about ${fullSyncCost} requests`);
      } else {
        // GitHub confirms each departure before its seat is cancelled; a lookup that fails is no verdict.
        const answers = await checkOrgMemberships(deps.octokit, orgLogin, leavers.map((e) => e.login));
        const stillMembers = answers.filter((a) => a.state === 'member');
        const unknown = answers.flatMap((a, i) => (a.state === 'unknown' ? [{ login: a.login, userId: leavers[i]!.userId!, error: a.error }] : []));
        log.info({ org, lookups: answers.length, stillMembers: stillMembers.length, unknown: unknown.length }, 'departures confirmed with GitHub');
        if (stillMembers.length > 0) {
          // The mirror missed someone joining (or a team change with it): only a full sync can say what else it missed.
          await resyncAndReplan(`${stillMembers.length} seat holders missing from the mirror are members`);
        } else if (unknown.length > 0) {
          log.warn({ org, unconfirmed: unknown.map((u) => ({ login: u.login, error: u.error })) }, 'departures GitHub could not confirm are not cancelled');
          plan = planNow(unknown.map((u) => u.userId));
        }
      }
    }
  }
  const changes = plan.toAdd.length + plan.toCancel.length;
  const willApply = job.apply && plan.mode === 'enforce' && plan.status === 'ok' && changes > 0;
  // Over the safeguard the adds are applied and the cancellations wait for an owner's confirmation.
  const awaitingConfirmation = job.apply && (plan.safeguard?.held.length ?? 0) > 0;
  const actor = actorOf(job);

  const finalStatus = (): ReconcileResult['status'] => {
    if (policy.errors) return 'invalid_policy';
    if (plan.status === 'no_policy') return 'no_policy';
    if (plan.status === 'blocked') return 'blocked';
    if (plan.mode === 'report') return 'report_only';
    if (awaitingConfirmation) return 'awaiting_confirmation';
    return job.apply ? 'applied' : 'planned';
  };
  // A plan holding cancellations supersedes an older held one; the event lets people know it waits for them.
  const holdForConfirmation = async (trx: Transaction<Database>, id: string) => {
    const superseded = await supersedeHeldPlans(trx, org, id);
    const verdict = plan.safeguard!;
    await recordDomainEvents(trx, [
      {
        type: 'plan.awaiting_confirmation',
        org,
        payload: { planId: id, held: verdict.held.length, limit: verdict.limit, seatsHeld: verdict.seatsHeld, cancellations: verdict.cancellations, superseded },
      },
    ]);
    await appendAuditEntries(trx, org, [
      {
        ...actor,
        action: 'plan.held',
        target: id,
        reason: `${verdict.held.length} cancellations held for an organization owner's confirmation (limit ${verdict.limit} of ${verdict.seatsHeld} seats held)`,
        details: { trigger: job.trigger, superseded },
      },
    ]);
  };

  // The run's writes of its own organization's rows are tenant transactions: row-level security
  // keeps them to this installation, whatever a query's where clause says. Queueing the report is
  // pg-boss's, so it steps outside the tenant role.
  const queueReport = deps.queueReport && ((trx: Transaction<Database>, id: string) => outsideTenantRole(trx, (t) => deps.queueReport!(t, id)));
  const planId = await withTenant(db, installation.id, async (trx) => {
    const id = await storePlan(trx, {
      org,
      trigger: job.trigger,
      actor: job.actor,
      plan,
      policySha: policy.sha,
      status: willApply
        ? 'applying'
        : plan.status === 'no_policy'
          ? policy.errors
            ? 'invalid_policy'
            : 'no_policy'
          : plan.status === 'blocked'
            ? 'blocked'
            : plan.mode === 'report'
              ? 'report_only'
              : awaitingConfirmation
                ? 'awaiting_confirmation'
                : job.apply
                  ? 'applied'
                  : 'planned',
      confirmsPlanId: confirmation?.planId ?? null,
    });
    await recordPlanRun(trx, id, { jobId: deps.jobId ?? null, report: job.report, policyErrors: policy.errors });
    if (awaitingConfirmation && !willApply) await holdForConfirmation(trx, id);
    // A plan not applied is finished as stored: its report goes out with it.
    if (!willApply) await queueReport?.(trx, id);
    if (plan.violations.length > 0) {
      await recordDomainEvents(trx, [{ type: 'violation.found', org, payload: { planId: id, count: plan.violations.length, codes: [...new Set(plan.violations.map((v) => v.code))] } }]);
    }
    return id;
  });

  let outcome: ReconcileResult['outcome'] = null;
  let status = finalStatus();
  if (willApply) {
    const reasons = new Map<string, string>();
    for (const e of plan.toAdd) reasons.set(`add:${e.login.toLowerCase()}`, e.reason.text);
    for (const e of plan.toCancel) reasons.set(`cancel:${e.login.toLowerCase()}`, e.reason.text);
    const userIds = new Map(plan.toAdd.map((e) => [e.login.toLowerCase(), e.userId]));
    const planType = predominantPlanType(snapshot.seats);
    const result = await applySeatChanges({
      octokit: deps.octokit,
      org: orgLogin,
      changes: [
        ...plan.toAdd.map((e) => ({ login: e.login, op: 'add' as const })),
        ...plan.toCancel.map((e) => ({ login: e.login, op: 'cancel' as const })),
      ],
      batchSize: deps.batchSize,
      log,
      onResults: async (results) => {
        const at = deps.now();
        await withTenant(db, installation.id, async (trx) => {
          await recordChangeResults(trx, planId, results);
          await appendAuditEntries(
            trx,
            org,
            results.map((r) => ({
              ...actor,
              action: r.ok ? (r.op === 'add' ? 'seat.added' : 'seat.cancelled') : 'seat.change_failed',
              target: r.login,
              reason: r.ok ? (reasons.get(`${r.op}:${r.login.toLowerCase()}`) ?? '') : (r.error ?? 'failed'),
              details: { planId, op: r.op, trigger: job.trigger },
              at,
              idempotencyKey: seatChangeKey(planId, r.op, r.login),
            })),
          );
          const done = results.filter((r) => r.ok);
          await recordAppliedSeatChanges(
            trx,
            org,
            {
              added: done.filter((r) => r.op === 'add').map((r) => ({ login: r.login, userId: userIds.get(r.login.toLowerCase()) ?? null })),
              cancelled: done.filter((r) => r.op === 'cancel').map((r) => r.login),
            },
            at,
            planType,
          );
          if (done.length > 0) {
            await recordDomainEvents(trx, [{ type: 'seat.changed', org, payload: { planId, added: done.filter((r) => r.op === 'add').map((r) => r.login), cancelled: done.filter((r) => r.op === 'cancel').map((r) => r.login) } }]);
          }
        });
      },
    });
    const summary = await summarizeChanges(db, planId);
    const failedKeys = new Set(summary.failed.map((f) => f.login.toLowerCase()));
    outcome = {
      added: summary.done.filter((c) => c.op === 'add').map((c) => c.login),
      cancelled: summary.done.filter((c) => c.op === 'cancel').map((c) => c.login),
      failed: summary.failed.map((f) => ({ login: f.login, action: f.op, message: f.error })),
    };
    status = result.failed.length > 0 || failedKeys.size > 0 ? 'partially_applied' : awaitingConfirmation ? 'awaiting_confirmation' : 'applied';
    await withTenant(db, installation.id, async (trx) => {
      // A run that outlived its job's expiry may find its plan settled by the sweeper meanwhile; the settlement stands.
      if (!(await lockApplyingPlan(trx, planId))) {
        log.warn({ org, planId }, 'plan already settled after this run was taken for stopped; its finish is skipped');
        return;
      }
      // Inactivity cancellations stay cancelled: the override keeps the next run from granting them back.
      const toRecord = plan.overridesToRecord.filter((o) => !failedKeys.has(o.login.toLowerCase()));
      const { created, lifted } = await createOverrides(
        trx,
        toRecord.map((o) => ({ org, login: o.login, kind: o.kind, actor: 'ceos', reason: o.reason, expiresAt: o.expiresAt ? new Date(o.expiresAt) : null })),
        deps.now(),
      );
      await appendAuditEntries(trx, org, [
        ...liftedOverrideEntries(lifted, 'ceos', deps.now()),
        ...created.map((o) => ({ actor: 'ceos', actorType: 'app' as const, action: 'override.created', target: o.login, reason: o.reason, details: { overrideId: o.id, kind: o.kind, planId } })),
        { ...actor, action: 'reconciliation.applied', target: planId, reason: `${outcome!.added.length} added, ${outcome!.cancelled.length} cancelled, ${outcome!.failed.length} failed`, details: { trigger: job.trigger }, idempotencyKey: planAppliedKey(planId) },
      ]);
      await finishPlan(trx, planId, status === 'partially_applied' ? 'partially_applied' : awaitingConfirmation ? 'awaiting_confirmation' : 'applied');
      if (awaitingConfirmation && status !== 'partially_applied') await holdForConfirmation(trx, planId);
      await recordDomainEvents(trx, [{ type: 'reconciliation.finished', org, payload: { planId, status, added: outcome!.added.length, cancelled: outcome!.cancelled.length, failed: outcome!.failed.length } }]);
      await queueReport?.(trx, planId);
    });
  } else {
    // A held plan with nothing to add was applied too: it changed nothing, which its report says.
    if (awaitingConfirmation) outcome = { added: [], cancelled: [], failed: [] };
    await recordDomainEvents(db, [{ type: 'reconciliation.finished', org, payload: { planId, status, added: 0, cancelled: 0, failed: 0 } }]);
  }
  // Warnings tell people of cancellations to come, so only a run that may cancel gives them.
  if (job.apply && plan.mode === 'enforce' && plan.status === 'ok' && policy.policy !== null) {
    await settleInactivityWarnings(
      { db, octokit: deps.octokit, log, now: deps.now, repository: deps.policyLocation.repository },
      { org, orgLogin, policy: policy.policy, plan, planId, cancelled: outcome?.cancelled ?? [] },
    );
  }
  const expireAfter = policy.policy?.requests?.expire_after_days;
  if (job.apply && expireAfter !== undefined) await expireStaleRequests({ db, octokit: deps.octokit, log, now: deps.now }, org, expireAfter);
  log.info({ org, planId, status, adds: plan.toAdd.length, cancels: plan.toCancel.length, violations: plan.violations.length }, 'reconciliation finished');
  return { status, planId, plan, policy, outcome };
}

/** Every cancellation a plan makes or holds for confirmation. */
function cancellationsOf(plan: Plan): PlanEntry[] {
  return [...plan.toCancel, ...(plan.safeguard?.held ?? [])];
}

/**
 * About how many GraphQL requests a full sync of members and teams costs, from the mirror's
 * sizes: members and teams page 100 at a time in shared requests, and teams of more than 100
 * members are followed up 20 at a time (see fetchOrgGraph).
 */
function graphSyncRequests(snapshot: OrgSnapshot): number {
  const pages = Math.max(1, Math.ceil(snapshot.members.length / 100), Math.ceil(snapshot.teams.length / 100));
  const largeTeams = Object.values(snapshot.teamMemberships).filter((logins) => logins.length > 100).length;
  return pages + Math.ceil(largeTeams / 20);
}

/**
 * The confirmation a run carries out: the held plan an owner confirmed, and the cancellations it
 * held. A plan that is not (or no longer) confirmed gives none, and the run plans as any other.
 */
async function loadConfirmation(db: Kysely<Database>, org: string, planId: string): Promise<SafeguardConfirmation | null> {
  const row = await findPlan(db, org, planId);
  if (row === undefined || row.status !== 'confirmed' || row.confirmed_by === null) return null;
  const held = (row.plan as Plan).safeguard?.held ?? [];
  return { planId: row.id, confirmedBy: row.confirmed_by, userIds: held.flatMap((e) => (e.userId === null ? [] : [e.userId])) };
}
