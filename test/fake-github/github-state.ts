import { AppState } from './app-state.js';
import type { FakeInstallation } from './app-state.js';
import { FakeOrg, UserDirectory } from './fake-state.js';
import type { OrgInit } from './fake-state.js';
import { FakeRepo } from './repo-state.js';
import { UsageReports } from './usage-reports.js';

/** Everything the fake GitHub holds in memory. */
export class GitHubState {
  /** Every user and organization account. */
  readonly users = new UserDirectory();
  /** Organizations by lower-case login. */
  readonly orgs = new Map<string, FakeOrg>();
  /** Repositories by lower-case `owner/name`. */
  readonly repos = new Map<string, FakeRepo>();
  /** The app, its installations, tokens and deliveries. */
  readonly app: AppState;
  /** Copilot usage metrics reports and their download files. */
  readonly usageReports = new UsageReports();
  private nextObjectId = 7_000_000;

  constructor(
    /** The fake's clock. */
    readonly now: () => Date,
    app: { appId: number; slug: string },
  ) {
    this.app = new AppState(app, now);
  }

  /** Adds an organization, replacing one with the same login. */
  addOrg(init: OrgInit): FakeOrg {
    const org = new FakeOrg(init, this.users, this.now);
    this.orgs.set(init.login.toLowerCase(), org);
    return org;
  }

  /** An organization by login, case-insensitively. */
  org(login: string): FakeOrg | undefined {
    return this.orgs.get(login.toLowerCase());
  }

  /** Installs the app on an account (an organization is created when unknown). */
  addInstallation(init: { id: number; account: string; permissions?: Record<string, string> }): FakeInstallation {
    const account = this.org(init.account)?.account ?? this.addOrg({ login: init.account }).account;
    const installation: FakeInstallation = {
      id: init.id,
      account,
      permissions: init.permissions ?? {
        organization_copilot_seat_management: 'write',
        members: 'read',
        checks: 'write',
        contents: 'read',
        issues: 'write',
        pull_requests: 'write',
        metadata: 'read',
      },
      createdAt: this.now().toISOString(),
    };
    this.app.installations.set(init.id, installation);
    return installation;
  }

  /** A repository by owner and name, case-insensitively. */
  repo(owner: string, name: string): FakeRepo | undefined {
    return this.repos.get(`${owner}/${name}`.toLowerCase());
  }

  /** Returns the repository, creating it when absent. */
  ensureRepo(owner: string, name: string, options: { defaultBranch?: string; private?: boolean } = {}): FakeRepo {
    let repo = this.repo(owner, name);
    if (repo === undefined) {
      const ownerAccount = this.org(owner)?.account ?? this.users.ensure(owner);
      repo = new FakeRepo(this.allocateId(), ownerAccount, name, options);
      this.repos.set(`${owner}/${name}`.toLowerCase(), repo);
    } else {
      if (options.defaultBranch !== undefined) repo.defaultBranch = options.defaultBranch;
      if (options.private !== undefined) repo.private = options.private;
    }
    return repo;
  }

  /** A fresh id for check runs, comments and reactions. */
  allocateId(): number {
    return this.nextObjectId++;
  }
}
