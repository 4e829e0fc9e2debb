import { type Kysely, sql } from 'kysely';

// People are keyed by GitHub user id, not by login: a user who renames keeps their member row,
// team memberships, seat and overrides. Logins stay on every row for display and for matching
// the policy's lists (`login_key`, now a plain indexed column).
export async function up(db: Kysely<any>): Promise<void> {
  // Members: one row per user. A rename seen by webhooks before this migration left two rows for
  // one id (the old login and the new); the newer knowledge stands.
  await sql`
    delete from org_members a using org_members b
     where a.org = b.org and a.user_id = b.user_id and a.login_key <> b.login_key
       and (a.source_at < b.source_at or (a.source_at = b.source_at and a.login_key < b.login_key))`.execute(db);
  await sql`alter table org_members drop constraint org_members_pk`.execute(db);
  await sql`alter table org_members add constraint org_members_pk primary key (org, user_id)`.execute(db);
  await sql`create index org_members_login on org_members (org, login_key)`.execute(db);

  // Seats: a seat recorded after an add without a known id carried user id 0; take the id from
  // the members, and drop what stays unknown (every run re-reads the seat list from GitHub).
  await sql`
    update copilot_seats s set user_id = m.user_id
      from org_members m
     where s.user_id = 0 and m.org = s.org and m.login_key = s.login_key`.execute(db);
  await sql`delete from copilot_seats where user_id = 0`.execute(db);
  await sql`
    delete from copilot_seats a using copilot_seats b
     where a.org = b.org and a.user_id = b.user_id and a.login_key <> b.login_key
       and (a.synced_at < b.synced_at or (a.synced_at = b.synced_at and a.login_key < b.login_key))`.execute(db);
  await sql`alter table copilot_seats drop constraint copilot_seats_pk`.execute(db);
  await sql`alter table copilot_seats add constraint copilot_seats_pk primary key (org, user_id)`.execute(db);
  await sql`create index copilot_seats_login on copilot_seats (org, login_key)`.execute(db);

  // Team memberships name their member by id from now on, taken from the member rows. A
  // membership whose login matches no member cannot be keyed; it is dropped, and its
  // organization's member sync is marked as never completed, so the next run syncs in full
  // before it plans.
  await sql`alter table org_team_members add column user_id bigint`.execute(db);
  await sql`
    update org_team_members t set user_id = m.user_id
      from org_members m
     where m.org = t.org and m.login_key = t.login_key`.execute(db);
  await sql`
    update org_sync_state s set members_synced_at = null, updated_at = now()
     where exists (select 1 from org_team_members t where t.org = s.org and t.user_id is null)`.execute(db);
  await sql`delete from org_team_members where user_id is null`.execute(db);
  await sql`
    delete from org_team_members a using org_team_members b
     where a.org = b.org and a.team_slug = b.team_slug and a.user_id = b.user_id and a.login_key <> b.login_key
       and (a.source_at < b.source_at or (a.source_at = b.source_at and a.login_key < b.login_key))`.execute(db);
  await sql`alter table org_team_members alter column user_id set not null`.execute(db);
  await sql`alter table org_team_members drop constraint org_team_members_pk`.execute(db);
  await sql`alter table org_team_members add constraint org_team_members_pk primary key (org, team_slug, user_id)`.execute(db);
  await sql`create index org_team_members_user on org_team_members (org, user_id)`.execute(db);

  // Overrides name the person by id when they were a member when it was recorded; null for
  // someone who was not (the planner then matches the login).
  await sql`alter table seat_overrides add column user_id bigint`.execute(db);
  await sql`
    update seat_overrides o set user_id = m.user_id
      from org_members m
     where m.org = o.org and m.login_key = o.login_key`.execute(db);
  await sql`create index seat_overrides_active_user on seat_overrides (org, user_id) where lifted_at is null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index seat_overrides_active_user`.execute(db);
  await sql`alter table seat_overrides drop column user_id`.execute(db);

  await sql`drop index org_team_members_user`.execute(db);
  await sql`
    delete from org_team_members a using org_team_members b
     where a.org = b.org and a.team_slug = b.team_slug and a.login_key = b.login_key and a.user_id < b.user_id`.execute(db);
  await sql`alter table org_team_members drop constraint org_team_members_pk`.execute(db);
  await sql`alter table org_team_members add constraint org_team_members_pk primary key (org, team_slug, login_key)`.execute(db);
  await sql`alter table org_team_members drop column user_id`.execute(db);

  await sql`drop index copilot_seats_login`.execute(db);
  await sql`
    delete from copilot_seats a using copilot_seats b
     where a.org = b.org and a.login_key = b.login_key and a.user_id < b.user_id`.execute(db);
  await sql`alter table copilot_seats drop constraint copilot_seats_pk`.execute(db);
  await sql`alter table copilot_seats add constraint copilot_seats_pk primary key (org, login_key)`.execute(db);

  await sql`drop index org_members_login`.execute(db);
  await sql`
    delete from org_members a using org_members b
     where a.org = b.org and a.login_key = b.login_key and a.source_at < b.source_at`.execute(db);
  await sql`alter table org_members drop constraint org_members_pk`.execute(db);
  await sql`alter table org_members add constraint org_members_pk primary key (org, login_key)`.execute(db);
}
