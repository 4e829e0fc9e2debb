import type { SeatManagementSetting } from '../domain/plan-types.js';
import type { GitHubOctokit } from './github-octokit.js';

/** The organization's Copilot subscription, as `GET /orgs/{org}/copilot/billing` describes it. */
export interface CopilotBillingDetails {
  /** How seats are assigned; only `assign_selected` lets CEOS add and cancel seats per user. */
  seatManagementSetting: SeatManagementSetting;
  /** The organization's (or its enterprise's) Copilot plan, or null when GitHub did not say. */
  planType: 'business' | 'enterprise' | null;
  /** GitHub's `seat_breakdown`, kept as received (totals, pending invitations and cancellations, activity). */
  seatBreakdown: Record<string, unknown>;
}

const SETTINGS: readonly SeatManagementSetting[] = ['assign_all', 'assign_selected', 'disabled', 'unconfigured'];

/** Reads the organization's Copilot subscription details. */
export async function fetchCopilotBilling(octokit: GitHubOctokit, org: string): Promise<CopilotBillingDetails> {
  const { data } = await octokit.request('GET /orgs/{org}/copilot/billing', { org });
  const setting = data.seat_management_setting;
  if (!SETTINGS.includes(setting)) {
    throw new Error(`GitHub returned an unknown Copilot seat management setting for ${org}: ${JSON.stringify(setting)}`);
  }
  const plan = data.plan_type;
  return {
    seatManagementSetting: setting,
    planType: plan === 'business' || plan === 'enterprise' ? plan : null,
    seatBreakdown: { ...data.seat_breakdown },
  };
}
