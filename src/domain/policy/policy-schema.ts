import { z } from 'zod';
import { cronExpressionProblem } from './cron-expression.js';

/** Where the policy lives in each organization. */
export const POLICY_PATH = '.github/copilot-policy.yml';

/** Policy defaults, applied when a key is left out. */
export const POLICY_DEFAULTS = {
  /** Report mode only plans and reports; it never changes seats. */
  mode: 'report',
  /** Reconciliation cron: every 6 hours. */
  schedule: '0 */6 * * *',
  /** Slash commands are honoured only in the organization's `.github` repository. */
  commandRepositories: ['.github'],
  /** Teams allowed to use `/copilot` commands besides org owners. */
  commandTeams: [],
  /** Monthly seat price in USD by Copilot plan, when `budget.seat_price_usd` is not set. */
  seatPriceUsd: { business: 19, enterprise: 39 },
  /** Most cancellations one plan may send without an owner's confirmation (never fewer than 10). */
  maxCancellations: '10%',
} as const;

// EMU logins carry an `_shortcode` suffix, so underscores are allowed.
const LOGIN_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?$/;
const SLUG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;
const REPOSITORY_PATTERN = /^[A-Za-z0-9._-]+$/;

function loginList(path: string) {
  const login = z
    .string({ error: `each entry of ${path} must be a GitHub login (text)` })
    .superRefine((value, ctx) => {
      if (value.startsWith('@')) {
        ctx.addIssue({ code: 'custom', message: `write the login "${value}" without "@"` });
      } else if (!LOGIN_PATTERN.test(value)) {
        ctx.addIssue({ code: 'custom', message: `"${value}" is not a valid GitHub login` });
      }
    });
  return z
    .array(login, { error: `${path} must be a list of GitHub logins` })
    .default([])
    .describe('GitHub logins, compared case-insensitively.');
}

function teamList(path: string) {
  const slug = z
    .string({ error: `each entry of ${path} must be a team slug (text)` })
    .superRefine((value, ctx) => {
      if (value.includes('/')) {
        ctx.addIssue({
          code: 'custom',
          message: `write the team slug without the organization: "${value.split('/').pop() ?? value}" instead of "${value}"`,
        });
      } else if (!SLUG_PATTERN.test(value)) {
        ctx.addIssue({ code: 'custom', message: `"${value}" is not a valid team slug (e.g. "platform-engineering")` });
      }
    });
  return z
    .array(slug, { error: `${path} must be a list of team slugs` })
    .default([])
    .describe('Team slugs; members of their child teams count as members too.');
}

function audience(path: string, meaning: string) {
  return z
    .strictObject(
      { teams: teamList(`${path}.teams`), users: loginList(`${path}.users`) },
      { error: `${path} must be a mapping with "teams" and/or "users"` },
    )
    .describe(meaning);
}

function positiveWhole(path: string) {
  const message = `${path} must be a positive whole number`;
  return z.number({ error: message }).int({ error: message }).positive({ error: message });
}

function positiveAmount(path: string) {
  const message = `${path} must be a positive amount in US dollars`;
  return z.number({ error: message }).positive({ error: message });
}

const seatsSchema = z.strictObject(
  {
    grant: z
      .strictObject(
        { teams: teamList('seats.grant.teams'), users: loginList('seats.grant.users') },
        {
          error: (issue) =>
            issue.input === undefined
              ? 'seats.grant is required: list the teams and users who should hold a seat (with no grant rule, enforce mode would cancel every per-user seat)'
              : 'seats.grant must be a mapping with "teams" and/or "users"',
        },
      )
      .describe('Who should hold a seat: members of these teams (child teams included) and these users.'),
    deny: audience('seats.deny', 'Who must never hold a seat; deny beats every other rule.').optional(),
    max: positiveWhole('seats.max').optional().describe('Seat cap: the most seats the organization may hold.'),
  },
  {
    error: (issue) =>
      issue.input === undefined
        ? 'seats is required: say who should hold a seat under seats.grant'
        : 'seats must be a mapping with "grant", "deny" and "max"',
  },
);

const inactivitySchema = z.strictObject(
  {
    revoke_after_days: z
      .number({ error: (issue) => (issue.input === undefined ? 'inactivity.revoke_after_days is required' : 'inactivity.revoke_after_days must be a positive whole number of days') })
      .int({ error: 'inactivity.revoke_after_days must be a positive whole number of days' })
      .positive({ error: 'inactivity.revoke_after_days must be a positive whole number of days' })
      .describe('Cancel a seat unused for more than this many whole days (a never-used seat counts from its assignment).'),
    warn_before_days: positiveWhole('inactivity.warn_before_days')
      .optional()
      .describe(
        'Warn each seat holder this many days before the inactivity rule cancels their seat (less than revoke_after_days): one comment mentioning them on a tracking issue in the policy repository. A seat is never cancelled for inactivity before its warning is this many days old.',
      ),
    exempt: audience('inactivity.exempt', 'Teams and users whose seats are never cancelled for inactivity.').optional(),
  },
  { error: 'inactivity must be a mapping with "revoke_after_days" and optionally "warn_before_days" and "exempt"' },
).superRefine((rule, ctx) => {
  // A warning window as long as the limit would warn seats the day they are assigned.
  if (rule.warn_before_days !== undefined && rule.warn_before_days >= rule.revoke_after_days) {
    ctx.addIssue({
      code: 'custom',
      path: ['warn_before_days'],
      input: rule.warn_before_days,
      message: `inactivity.warn_before_days (${rule.warn_before_days}) must be less than inactivity.revoke_after_days (${rule.revoke_after_days})`,
    });
  }
});

const budgetSchema = z.strictObject(
  {
    seat_price_usd: positiveAmount('budget.seat_price_usd')
      .optional()
      .describe('Monthly price of one seat in USD; by default 19 (Business) or 39 (Enterprise) from each seat\'s plan.'),
    monthly_limit_usd: positiveAmount('budget.monthly_limit_usd').optional().describe('Monthly budget for Copilot seats in USD.'),
  },
  { error: 'budget must be a mapping with "seat_price_usd" and/or "monthly_limit_usd"' },
);

const commandsSchema = z.strictObject(
  {
    teams: teamList('commands.teams').describe('Teams (child teams included) whose members may use /copilot commands, besides org owners.'),
    repositories: z
      .array(
        z.string({ error: 'each entry of commands.repositories must be a repository name (text)' }).regex(REPOSITORY_PATTERN, {
          error: (issue) => `"${String(issue.input)}" is not a repository name of this organization (write "name", not "org/name")`,
        }),
        { error: 'commands.repositories must be a list of repository names' },
      )
      .default([...POLICY_DEFAULTS.commandRepositories])
      .describe('Repositories where /copilot slash commands are honoured.'),
  },
  { error: 'commands must be a mapping with "teams" and/or "repositories"' },
);

const requestsSchema = z.strictObject(
  {
    auto_approve: z
      .strictObject(
        { teams: teamList('requests.auto_approve.teams') },
        { error: 'requests.auto_approve must be a mapping with "teams"' },
      )
      .optional()
      .describe('Seat requests (/copilot request) from members of these teams (child teams included) are approved at once, within the seat cap and the budget.'),
    expire_after_days: positiveWhole('requests.expire_after_days')
      .optional()
      .describe('Pending seat requests older than this many days are closed with a note to the requester.'),
  },
  { error: 'requests must be a mapping with "auto_approve" and/or "expire_after_days"' },
);

const MAX_CANCELLATIONS_MESSAGE =
  'safeguards.max_cancellations must be a positive whole number of seats (e.g. 25) or a percentage of the seats held in quotes (e.g. "10%")';

const safeguardsSchema = z.strictObject(
  {
    max_cancellations: z
      .union(
        [
          z.number({ error: MAX_CANCELLATIONS_MESSAGE }).int({ error: MAX_CANCELLATIONS_MESSAGE }).positive({ error: MAX_CANCELLATIONS_MESSAGE }),
          z
            .string({ error: MAX_CANCELLATIONS_MESSAGE })
            .regex(/^(?:100(?:\.0+)?|[1-9][0-9]?(?:\.[0-9]+)?)%$/, {
              error: (issue) =>
                `safeguards.max_cancellations "${String(issue.input)}" is not a percentage from 1% to 100% (e.g. "10%"); a number of seats is written without quotes`,
            }),
        ],
        { error: MAX_CANCELLATIONS_MESSAGE },
      )
      .default(POLICY_DEFAULTS.maxCancellations)
      .describe(
        'Most seats one plan may cancel without an organization owner\'s confirmation: a number of seats, or "N%" of the seats held before the plan. Never fewer than 10. A plan over it applies its adds and holds every cancellation until an owner runs /copilot confirm.',
      ),
  },
  { error: 'safeguards must be a mapping with "max_cancellations"' },
);

/** Zod schema of `.github/copilot-policy.yml`, version 1. */
export const policySchema = z
  .strictObject(
    {
      version: z
        .literal(1, {
          error: (issue) =>
            issue.input === undefined ? 'version is required: start the file with "version: 1"' : 'version must be 1 (the only policy version CEOS understands)',
        })
        .describe('Policy format version.'),
      mode: z
        .enum(['enforce', 'report'], { error: 'mode must be "enforce" (apply changes) or "report" (only plan and report)' })
        .default(POLICY_DEFAULTS.mode)
        .describe('enforce: apply changes; report: only plan and report.'),
      seats: seatsSchema,
      inactivity: inactivitySchema.optional().describe('Cancel seats that go unused.'),
      budget: budgetSchema.optional().describe('Seat price and monthly budget.'),
      schedule: z
        .string({ error: 'schedule must be a cron expression in quotes, e.g. "0 */6 * * *"' })
        .superRefine((value, ctx) => {
          const problem = cronExpressionProblem(value);
          if (problem !== null) ctx.addIssue({ code: 'custom', message: `schedule ${problem}` });
        })
        .default(POLICY_DEFAULTS.schedule)
        .describe('Reconciliation schedule (5-field cron, UTC).'),
      commands: commandsSchema.optional().describe('Who may use /copilot commands, and where.'),
      requests: requestsSchema.optional().describe('Seat requests made with /copilot request.'),
      safeguards: safeguardsSchema.optional().describe('Limits that hold a plan for an owner\'s confirmation instead of applying it whole.'),
    },
    { error: 'the policy must be a mapping of keys, starting with "version: 1"' },
  )
  .meta({
    title: 'CEOS Copilot seat policy',
    description: 'Policy for GitHub Copilot seats, read from .github/copilot-policy.yml by CEOS.',
  });

/** A validated policy, defaults applied (keys as in the YAML file). */
export type Policy = z.output<typeof policySchema>;
/** A policy as written in the file, before defaults. */
export type PolicyInput = z.input<typeof policySchema>;
