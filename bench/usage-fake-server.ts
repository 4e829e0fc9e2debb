// The fake GitHub of `npm run bench:usage`, in a process of its own so that generating and serving
// the reports costs the collecting process neither CPU nor memory. It seeds the three daily
// reports of one organization for the days it is given, each users report `users` lines long,
// written as the response is sent (never held), and answers the parent's messages.
import { startFakeGitHub } from '../test/fake-github/index.js';
import { orgDayRecord, userDayRecord, userTeamRecord } from '../test/fake-github/usage-fixtures.js';

/** What the benchmark asks the fake to serve. */
export interface UsageFakeOptions {
  org: string;
  installationId: number;
  users: number;
  days: string[];
  /** Files each users report is split across. */
  files: number;
  /** Teams people are spread across (one team each, in the user-teams report). */
  teams: number;
}

/** What the fake's process sends once it serves the reports. */
export interface UsageFakeReady {
  type: 'ready';
  /** `127.0.0.1:PORT`. */
  host: string;
  /** An installation token for the organization, valid an hour. */
  token: string;
}

/** The fake's account of what it served. */
export interface UsageFakeSummary {
  type: 'summary';
  reportCalls: number;
  downloads: number;
  violations: string[];
  cpuMs: number;
}

const options = JSON.parse(process.argv[2] ?? '{}') as UsageFakeOptions;
const fake = await startFakeGitHub({ validateResponses: true });
fake.addOrg({ login: options.org });
fake.addInstallation({ id: options.installationId, account: options.org });

const perFile = Math.ceil(options.users / options.files);
for (const day of options.days) {
  fake.setUsageReport({
    org: options.org,
    report: 'users-1-day',
    day,
    records: [],
    files: options.files,
    *generate(file) {
      const end = Math.min(options.users, (file + 1) * perFile);
      for (let i = file * perFile; i < end; i++) {
        const n = (i % 17) + 1;
        yield JSON.stringify(
          userDayRecord({ id: 100_000 + i, login: `dev-${i}`, day, interactions: n, generations: 2 * n, acceptances: n, locSuggested: 10 * n, locAdded: 6 * n, chat: i % 3 !== 0, agent: i % 5 === 0, ide: i % 4 === 0 ? 'jetbrains' : 'vscode' }),
        );
      }
    },
  });
  fake.setUsageReport({
    org: options.org,
    report: 'user-teams-1-day',
    day,
    records: [],
    *generate() {
      for (let i = 0; i < options.users; i++) yield JSON.stringify(userTeamRecord({ id: 100_000 + i, login: `dev-${i}`, day, teamId: 5000 + (i % options.teams), slug: `team-${i % options.teams}` }));
    },
  });
  fake.setUsageReport({
    org: options.org,
    report: 'organization-1-day',
    day,
    records: [orgDayRecord(day, { dau: options.users, wau: options.users, mau: options.users, interactions: 9 * options.users, generations: 18 * options.users, acceptances: 9 * options.users, locSuggested: 90 * options.users, locAdded: 54 * options.users })],
  });
}

let cpuSince = process.cpuUsage();
process.on('message', (message: { type: string }) => {
  if (message.type === 'summary') {
    const cpu = process.cpuUsage(cpuSince);
    cpuSince = process.cpuUsage();
    const summary: UsageFakeSummary = {
      type: 'summary',
      reportCalls: fake.requests.filter((r) => r.operationId?.startsWith('copilot/')).length,
      downloads: fake.count('download'),
      violations: fake.violations.map((v) => `${v.kind}: ${v.method} ${v.path} (${v.message})`),
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    };
    process.send?.(summary);
  } else if (message.type === 'close') {
    void fake.close().then(() => process.exit(0));
  }
});
const ready: UsageFakeReady = { type: 'ready', host: fake.host, token: fake.createInstallationToken(options.installationId) };
process.send?.(ready);
