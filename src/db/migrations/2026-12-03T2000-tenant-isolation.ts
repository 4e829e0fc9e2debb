import { type Kysely, sql } from 'kysely';

// Tenant isolation: row-level security on every tenant table, by installation. Transactions of one
// installation switch to the role `ceos_tenant` (no login, no BYPASSRLS) and set
// `ceos.installation_id`; the policy on each table lets that role see and write only the rows of
// that installation. The connection's own role owns the tables, and RLS is enabled without FORCE,
// so cross-tenant work (the resync, the prune, the engines) keeps seeing every row.
//
// The role is cluster-wide and schemas migrate concurrently (one per test, one per deployment), so
// it is created under an advisory lock and only when missing: a database administrator may also
// create it beforehand, and a login without CREATEROLE then only needs to be a member of it.

// An arbitrary constant: the advisory lock that serialises creating the role across schemas.
const ROLE_LOCK = 7_302_119_531;

const INSTALLATION = `nullif(current_setting('ceos.installation_id', true), '')::bigint`;
const ORG_OF_INSTALLATION = `(select i.org from installations i where i.id = ${INSTALLATION})`;

// The tables as they are at this migration; a later table gets its policy in its own migration.
const BY_ORG = [
  'org_members',
  'org_teams',
  'org_team_members',
  'copilot_seats',
  'copilot_billing',
  'org_sync_state',
  'org_policies',
  'seat_overrides',
  'plans',
  'seat_warnings',
  'warning_issues',
  'seat_requests',
  'audit_log',
  'audit_heads',
  'domain_events',
  'commands',
  'command_refusals',
  'usage_collection',
  'usage_report_days',
  'usage_org_days',
  'usage_user_days',
  'usage_team_days',
  'seat_snapshots',
];

const POLICIES: Record<string, string> = {
  installations: `id = ${INSTALLATION}`,
  github_budgets: `installation_id = ${INSTALLATION}`,
  github_write_slots: `installation_id = ${INSTALLATION}`,
  plan_changes: `plan_id in (select p.id from plans p where p.org = ${ORG_OF_INSTALLATION})`,
  ...Object.fromEntries(BY_ORG.map((table) => [table, `org = ${ORG_OF_INSTALLATION}`])),
};

const SEQUENCES = ['audit_log_id_seq', 'domain_events_id_seq', 'github_write_slots_id_seq'];

export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    do $$
    begin
      perform pg_advisory_xact_lock(${ROLE_LOCK});
      if not exists (select from pg_catalog.pg_roles where rolname = 'ceos_tenant') then
        begin
          create role ceos_tenant nologin;
        exception
          when duplicate_object or unique_violation then null;
          when insufficient_privilege then
            raise exception 'the role ceos_tenant does not exist, and % may not create it', current_user
              using errcode = 'insufficient_privilege',
                    hint = format('Have a database administrator run: CREATE ROLE ceos_tenant NOLOGIN; GRANT ceos_tenant TO %I;  or give %I the CREATEROLE attribute. See docs/operations.md, "Tenant isolation".', current_user, current_user);
        end;
      end if;
      if exists (select from pg_catalog.pg_roles where rolname = 'ceos_tenant' and (rolsuper or rolbypassrls)) then
        raise exception 'the role ceos_tenant is a superuser or has BYPASSRLS, so row-level security would not apply to it'
          using errcode = 'invalid_role_specification', hint = 'ALTER ROLE ceos_tenant NOSUPERUSER NOBYPASSRLS;';
      end if;
      -- Tenant transactions SET ROLE to it, which needs membership (a superuser is a member of every role).
      if not pg_has_role(current_user, 'ceos_tenant', 'MEMBER') then
        begin
          execute format('grant ceos_tenant to %I', current_user);
        exception when insufficient_privilege then
          raise exception '% is not a member of the role ceos_tenant and may not grant it to itself', current_user
            using errcode = 'insufficient_privilege',
                  hint = format('Have a database administrator run: GRANT ceos_tenant TO %I;', current_user);
        end;
      end if;
      execute format('grant usage on schema %I to ceos_tenant', current_schema());
    end
    $$`).execute(db);
  for (const [table, predicate] of Object.entries(POLICIES)) {
    await sql.raw(`alter table ${table} enable row level security`).execute(db);
    await sql.raw(`create policy tenant_isolation on ${table} for all to ceos_tenant using (${predicate}) with check (${predicate})`).execute(db);
    await sql.raw(`grant select, insert, update, delete on ${table} to ceos_tenant`).execute(db);
  }
  await sql.raw(`grant usage on sequence ${SEQUENCES.join(', ')} to ceos_tenant`).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`revoke usage on sequence ${SEQUENCES.join(', ')} from ceos_tenant`).execute(db);
  for (const table of Object.keys(POLICIES)) {
    await sql.raw(`revoke all on ${table} from ceos_tenant`).execute(db);
    await sql.raw(`drop policy tenant_isolation on ${table}`).execute(db);
    await sql.raw(`alter table ${table} disable row level security`).execute(db);
  }
  await sql.raw(`do $$ begin execute format('revoke usage on schema %I from ceos_tenant', current_schema()); end $$`).execute(db);
  // The role stays: it is the cluster's, and other schemas' policies name it.
}
