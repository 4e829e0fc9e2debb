import { OAuthState } from './oauth-state.js';
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
  /** The app's OAuth web flow: who is signed in, codes and user access tokens. */
  readonly oauth: OAuthState;
  /** Copilot usage metrics reports and their download files. */
  readonly usageReports = new UsageReports();
  private nextObjectId = 7_000_000;

  constructor(
    /** The fake's clock. */
    readonly now: () => Date,
    app: { appId: number; slug: string },
  ) {
    this.app = new AppState(app, now);
    this.oauth = new OAuthState(app.appId, now);
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

  /** Renames a user everywhere: same id, new login, in every organization, team and seat. */
  renameUser(from: string, to: string): void {
    this.users.rename(from, to);
    for (const org of this.orgs.values()) org.rekeyUser(from.toLowerCase(), to.toLowerCase());
  }

  /** Renames an organization: same id, new login; its repositories move with it, and its installations follow. */
  renameOrg(from: string, to: string): FakeOrg {
    const org = this.org(from);
    if (org === undefined) throw new Error(`No organization ${from} to rename.`);
    this.users.rename(from, to);
    this.orgs.delete(from.toLowerCase());
    this.orgs.set(to.toLowerCase(), org);
    for (const [key, repo] of [...this.repos]) {
      if (!key.startsWith(`${from.toLowerCase()}/`)) continue;
      this.repos.delete(key);
      this.repos.set(`${to.toLowerCase()}/${key.slice(from.length + 1)}`, repo);
    }
    return org;
  }

  /** Installs the app on an account (an organization is created when unknown). */
  addInstallation(init: { id: number; account: string; permissions?: Record<string, string> }): FakeInstallation {
    const account = this.org(init.account)?.account ?? this.addOrg({ login: init.account }).account;
    const installation: FakeInstallation = {
      id: init.id,
      account,
      permissions: init.permissions ?? {
        organization_copilot_seat_management: 'write',
        organization_copilot_metrics: 'read',
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
