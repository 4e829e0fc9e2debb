/**
 * Report records shaped like GitHub's Copilot usage metrics NDJSON (docs.github.com, "Copilot
 * usage metrics: example schema" and "team-level metrics"), trimmed but keeping their fields and
 * nesting, so parsers meet what GitHub sends, unknown fields included.
 */

/** Numbers of a users-report record; the rest of the record is derived from them. */
export interface UserDayInit {
  id: number;
  login: string;
  day: string;
  interactions?: number;
  generations?: number;
  acceptances?: number;
  locSuggested?: number;
  locAdded?: number;
  chat?: boolean;
  agent?: boolean;
  ide?: string;
}

/** One line of the users-1-day report. */
export function userDayRecord(u: UserDayInit): Record<string, unknown> {
  const interactions = u.interactions ?? 3;
  const generations = u.generations ?? 4;
  const acceptances = u.acceptances ?? 2;
  const locSuggested = u.locSuggested ?? 20;
  const locAdded = u.locAdded ?? 12;
  const ide = u.ide ?? 'vscode';
  return {
    code_acceptance_activity_count: acceptances,
    code_generation_activity_count: generations,
    day: u.day,
    organization_id: '9001',
    enterprise_id: '1',
    loc_added_sum: locAdded,
    loc_deleted_sum: 0,
    loc_suggested_to_add_sum: locSuggested,
    loc_suggested_to_delete_sum: 0,
    totals_by_cli: { prompt_count: 0, request_count: 0, session_count: 0, token_usage: { avg_tokens_per_request: 0, output_tokens_sum: 0, prompt_tokens_sum: 0 } },
    totals_by_feature: [
      {
        code_acceptance_activity_count: acceptances,
        code_generation_activity_count: generations,
        feature: 'code_completion',
        loc_added_sum: locAdded,
        loc_deleted_sum: 0,
        loc_suggested_to_add_sum: locSuggested,
        loc_suggested_to_delete_sum: 0,
        user_initiated_interaction_count: 0,
      },
    ],
    totals_by_ide: [
      {
        code_acceptance_activity_count: acceptances,
        code_generation_activity_count: generations,
        ide,
        last_known_ide_version: { ide_version: '1.98.0', sampled_at: `${u.day}T00:00:02.000Z` },
        last_known_plugin_version: { plugin: 'copilot', plugin_version: '1.300.0', sampled_at: `${u.day}T00:00:02.000Z` },
        loc_added_sum: locAdded,
        loc_deleted_sum: 0,
        loc_suggested_to_add_sum: locSuggested,
        loc_suggested_to_delete_sum: 0,
        user_initiated_interaction_count: interactions,
      },
    ],
    totals_by_language_feature: [],
    totals_by_language_model: [],
    totals_by_model_feature: [],
    used_agent: u.agent ?? false,
    used_chat: u.chat ?? true,
    used_cli: false,
    user_id: u.id,
    user_initiated_interaction_count: interactions,
    user_login: u.login,
  };
}

/** One line of the user-teams-1-day report: a (user, team) pair of the day. */
export function userTeamRecord(u: { id: number; login: string; day: string; teamId: number; slug: string }): Record<string, unknown> {
  return { user_id: u.id, user_login: u.login, day: u.day, organization_id: '9001', team_id: u.teamId, slug: u.slug };
}

/** The one line of the organization-1-day report. */
export function orgDayRecord(day: string, o: { dau: number; wau: number; mau: number; interactions: number; generations: number; acceptances: number; locSuggested: number; locAdded: number }): Record<string, unknown> {
  return {
    day,
    organization_id: '9001',
    daily_active_users: o.dau,
    weekly_active_users: o.wau,
    monthly_active_users: o.mau,
    monthly_active_chat_users: o.dau,
    monthly_active_agent_users: 0,
    user_initiated_interaction_count: o.interactions,
    code_generation_activity_count: o.generations,
    code_acceptance_activity_count: o.acceptances,
    loc_suggested_to_add_sum: o.locSuggested,
    loc_suggested_to_delete_sum: 0,
    loc_added_sum: o.locAdded,
    loc_deleted_sum: 0,
    totals_by_ide: [{ ide: 'vscode', code_generation_activity_count: o.generations, user_initiated_interaction_count: o.interactions }],
    totals_by_feature: [{ feature: 'code_completion', code_generation_activity_count: o.generations }],
    totals_by_language_feature: [],
    totals_by_model_feature: [],
  };
}
