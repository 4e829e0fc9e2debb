import type { FakeOrg, FakeSeat, FakeTeam } from '../fake-state.js';
import { notFound, validationFailed } from '../github-errors.js';
import { linkHeaders, pageSlice } from '../pagination.js';
import { seatShape, teamShape } from '../rest-shapes.js';
import type { RouteContext, RouteResult, RouteTable } from '../route-types.js';

/** Copilot seat management endpoints. */
export const copilotRoutes: RouteTable = {
  'copilot/get-copilot-organization-details': ({ state, params, now }) => {
    const org = state.org(params.org ?? '');
    if (org === undefined) return notFound();
    if (org.billing.seatManagementSetting === 'disabled') {
      return validationFailed('Copilot Business or Enterprise is not enabled for this organization.');
    }
    const seats = org.allSeats();
    const cycleStart = startOfMonth(now).toISOString();
    const pendingCancellation = seats.filter((s) => s.pendingCancellationDate !== null).length;
    const active = seats.filter((s) => s.lastActivityAt !== null && s.lastActivityAt >= cycleStart).length;
    return {
      status: 200,
      body: {
        seat_breakdown: {
          total: seats.length,
          added_this_cycle: seats.filter((s) => s.createdAt >= cycleStart).length,
          pending_invitation: 0,
          pending_cancellation: pendingCancellation,
          active_this_cycle: active,
          inactive_this_cycle: seats.length - active,
        },
        seat_management_setting: org.billing.seatManagementSetting,
        public_code_suggestions: org.billing.publicCodeSuggestions,
        ide_chat: org.billing.ideChat,
        platform_chat: org.billing.platformChat,
        cli: org.billing.cli,
        plan_type: org.billing.planType,
      },
    };
  },

  'copilot/list-copilot-seats': (context) => {
    const { state, params, query, apiUrl, path } = context;
    const org = state.org(params.org ?? '');
    if (org === undefined) return notFound();
    const page = pageSlice(org.seatCount, query, `${apiUrl}${path}`, 50);
    // A hidden seat is counted in total_seats but left out of its page: a torn list.
    const seats = org
      .seatSlice(page.start, page.end)
      .filter((seat) => !org.isHidden(seat.assignee.login, 'seats'))
      .map((seat) => seatShape(seat, assigningTeam(seat, org, context), apiUrl));
    return {
      status: 200,
      headers: linkHeaders(page),
      body: { total_seats: org.seatCount, seats },
    };
  },

  'copilot/add-copilot-seats-for-users': ({ state, params, body, now }) => {
    const org = state.org(params.org ?? '');
    if (org === undefined) return notFound();
    const refusal = checkSelectedUsersAllowed(org) ?? checkMembers(org, usernames(body));
    if (refusal !== undefined) return refusal;
    let created = 0;
    for (const login of unique(usernames(body))) {
      const seat = org.seat(login);
      if (seat === undefined) {
        org.addSeat({ login, createdAt: now.toISOString() });
        created++;
      } else if (seat.pendingCancellationDate !== null) {
        // Re-adding a seat pending cancellation keeps it: the cancellation is simply withdrawn.
        seat.pendingCancellationDate = null;
        seat.updatedAt = now.toISOString();
        created++;
      }
    }
    return { status: 201, body: { seats_created: created } };
  },

  'copilot/cancel-copilot-seat-assignment-for-users': ({ state, params, body, now }) => {
    const org = state.org(params.org ?? '');
    if (org === undefined) return notFound();
    const logins = unique(usernames(body));
    const refusal = checkSelectedUsersAllowed(org) ?? checkMembers(org, logins);
    if (refusal !== undefined) return refusal;
    const viaTeam = logins.filter((login) => org.seat(login)?.assigningTeam != null);
    if (viaTeam.length > 0) {
      return validationFailed(
        `The seat of ${viaTeam.join(', ')} cannot be cancelled because it was assigned via a team; remove the user from the team instead.`,
      );
    }
    let cancelled = 0;
    const cancellationDate = startOfNextMonth(now).toISOString().slice(0, 10);
    for (const login of logins) {
      const seat = org.seat(login);
      if (seat === undefined || seat.pendingCancellationDate !== null) continue;
      seat.pendingCancellationDate = cancellationDate;
      seat.updatedAt = now.toISOString();
      cancelled++;
    }
    return { status: 200, body: { seats_cancelled: cancelled } };
  },

  'copilot/add-copilot-seats-for-teams': ({ state, params, body, now }) => {
    const org = state.org(params.org ?? '');
    if (org === undefined) return notFound();
    const refusal = checkSelectedUsersAllowed(org);
    if (refusal !== undefined) return refusal;
    const teams = findTeams(org, selectedTeams(body));
    if ('missing' in teams) return validationFailed(`These teams do not exist in ${org.login}: ${teams.missing.join(', ')}.`);
    let created = 0;
    for (const team of teams.found) {
      for (const login of org.teamMemberLogins(team.slug, 'ALL')) {
        const seat = org.seat(login);
        if (seat === undefined) {
          org.addSeat({ login, createdAt: now.toISOString(), assigningTeam: team.slug });
          created++;
        } else if (seat.pendingCancellationDate !== null) {
          seat.pendingCancellationDate = null;
          seat.assigningTeam = team.slug;
          seat.updatedAt = now.toISOString();
          created++;
        }
      }
    }
    return { status: 201, body: { seats_created: created } };
  },

  'copilot/cancel-copilot-seat-assignment-for-teams': ({ state, params, body, now }) => {
    const org = state.org(params.org ?? '');
    if (org === undefined) return notFound();
    const refusal = checkSelectedUsersAllowed(org);
    if (refusal !== undefined) return refusal;
    const teams = findTeams(org, selectedTeams(body));
    if ('missing' in teams) return validationFailed(`These teams do not exist in ${org.login}: ${teams.missing.join(', ')}.`);
    const slugs = new Set(teams.found.map((t) => t.slug.toLowerCase()));
    const cancellationDate = startOfNextMonth(now).toISOString().slice(0, 10);
    let cancelled = 0;
    for (const seat of org.allSeats()) {
      if (seat.assigningTeam === null || !slugs.has(seat.assigningTeam.toLowerCase()) || seat.pendingCancellationDate !== null) continue;
      seat.pendingCancellationDate = cancellationDate;
      seat.updatedAt = now.toISOString();
      cancelled++;
    }
    return { status: 200, body: { seats_cancelled: cancelled } };
  },

  'copilot/get-copilot-seat-details-for-user': (context) => {
    const org = context.state.org(context.params.org ?? '');
    const seat = org?.seat(context.params.username ?? '');
    if (org === undefined || seat === undefined) return notFound();
    return { status: 200, body: seatShape(seat, assigningTeam(seat, org, context), context.apiUrl) };
  },
};

function selectedTeams(body: unknown): string[] {
  const list = (body as { selected_teams?: unknown } | undefined)?.selected_teams;
  return Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string') : [];
}

/** Teams by slug or name, as GitHub accepts either here. */
function findTeams(org: FakeOrg, names: string[]): { found: FakeTeam[] } | { missing: string[] } {
  const found: FakeTeam[] = [];
  const missing: string[] = [];
  for (const name of names) {
    const team = org.team(name) ?? org.sortedTeams().find((t) => t.name.toLowerCase() === name.toLowerCase());
    if (team === undefined) missing.push(name);
    else found.push(team);
  }
  return missing.length > 0 ? { missing } : { found };
}

function assigningTeam(seat: FakeSeat, org: FakeOrg, { apiUrl }: RouteContext): Record<string, unknown> | null {
  if (seat.assigningTeam === null) return null;
  const team = org.team(seat.assigningTeam);
  if (team === undefined) return null;
  return teamShape(team, org.account, apiUrl, team.parent === null ? undefined : org.team(team.parent));
}

function checkSelectedUsersAllowed(org: FakeOrg): RouteResult | undefined {
  const setting = org.billing.seatManagementSetting;
  if (setting === 'assign_selected') return undefined;
  return validationFailed(
    setting === 'disabled'
      ? 'Copilot Business or Enterprise is not enabled for this organization.'
      : `The organization's Copilot access setting is "${setting}"; seats can be assigned to or removed from selected users only when it is "assign_selected".`,
  );
}

function checkMembers(org: FakeOrg, logins: string[]): RouteResult | undefined {
  const outsiders = logins.filter((login) => org.member(login) === undefined);
  if (outsiders.length === 0) return undefined;
  return validationFailed(
    `The following users are not members of the ${org.login} organization: ${outsiders.join(', ')}.`,
    outsiders.map((login) => ({ resource: 'User', field: 'selected_usernames', code: 'invalid', value: login })),
  );
}

function usernames(body: unknown): string[] {
  const list = (body as { selected_usernames?: unknown } | undefined)?.selected_usernames;
  return Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string') : [];
}

function unique(logins: string[]): string[] {
  const seen = new Set<string>();
  return logins.filter((login) => {
    const key = login.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function startOfMonth(date: Date): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1));
}

function startOfNextMonth(date: Date): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1));
}
