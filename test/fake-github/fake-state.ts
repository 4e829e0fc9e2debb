/** A GitHub account (user or organization) as the fake knows it. */
export interface FakeAccount {
  /** Login, spelled the way GitHub shows it. */
  login: string;
  /** Numeric database id. */
  id: number;
  /** Account kind. */
  type: 'User' | 'Organization' | 'Bot';
}

/** An organization member to seed. */
export interface MemberInit {
  /** Login. */
  login: string;
  /** Organization role; `member` when omitted. */
  role?: 'admin' | 'member';
}

/** A team to seed. */
export interface TeamInit {
  /** Team slug (unique in the org). */
  slug: string;
  /** Display name; the slug when omitted. */
  name?: string;
  /** Slug of the parent team. */
  parent?: string | null;
  /** Logins of direct members. */
  members?: string[];
  /** Logins of direct maintainers. */
  maintainers?: string[];
}

/** A Copilot seat to seed. Dates are ISO strings. */
export interface SeatInit {
  /** Assignee login (must be an org member). */
  login: string;
  /** When the seat was created; the fake's `now` when omitted. */
  createdAt?: string;
  /** Last update; `createdAt` when omitted. */
  updatedAt?: string;
  /** Last Copilot activity, null when never used. */
  lastActivityAt?: string | null;
  /** Editor of the last activity, e.g. `vscode/1.77.3/copilot/1.86.82`. */
  lastActivityEditor?: string | null;
  /** Last authentication time. */
  lastAuthenticatedAt?: string | null;
  /** `YYYY-MM-DD` when the seat is pending cancellation. */
  pendingCancellationDate?: string | null;
  /** Slug of the team the seat was assigned through, or null for a direct assignment. */
  assigningTeam?: string | null;
  /** Copilot plan of the seat. */
  planType?: 'business' | 'enterprise' | 'unknown';
}

/** Organization-level Copilot settings (GET /orgs/{org}/copilot/billing). */
export interface CopilotBillingSettings {
  /** Who may get a seat. Only `assign_selected` allows per-user changes. */
  seatManagementSetting: 'assign_all' | 'assign_selected' | 'disabled' | 'unconfigured';
  /** Suggestions matching public code. */
  publicCodeSuggestions: 'allow' | 'block' | 'unconfigured';
  /** Copilot Chat in the IDE. */
  ideChat: 'enabled' | 'disabled' | 'unconfigured';
  /** Copilot Chat on github.com. */
  platformChat: 'enabled' | 'disabled' | 'unconfigured';
  /** Copilot in the CLI. */
  cli: 'enabled' | 'disabled' | 'unconfigured';
  /** Copilot plan of the organization. */
  planType: 'business' | 'enterprise';
}

/** An organization to seed. */
export interface OrgInit {
  /** Organization login. */
  login: string;
  /** Database id; assigned when omitted. */
  id?: number;
  /** Members with their roles. */
  members?: MemberInit[];
  /** Teams, parents before or after children. */
  teams?: TeamInit[];
  /** Copilot seats. */
  seats?: SeatInit[];
  /** Copilot settings; `assign_selected` with everything enabled when omitted. */
  billing?: Partial<CopilotBillingSettings>;
}

/** A Copilot seat as stored by the fake. */
export interface FakeSeat {
  /** The seat holder. */
  assignee: FakeAccount;
  /** ISO creation time. */
  createdAt: string;
  /** ISO time of the last change. */
  updatedAt: string;
  /** `YYYY-MM-DD` or null. */
  pendingCancellationDate: string | null;
  /** ISO time of last activity or null. */
  lastActivityAt: string | null;
  /** Editor of the last activity or null. */
  lastActivityEditor: string | null;
  /** ISO time of last authentication or null. */
  lastAuthenticatedAt: string | null;
  /** Team slug the seat comes through, or null. */
  assigningTeam: string | null;
  /** Copilot plan. */
  planType: 'business' | 'enterprise' | 'unknown';
}

/** A team as stored by the fake. */
export interface FakeTeam {
  /** Database id. */
  id: number;
  /** Slug. */
  slug: string;
  /** Display name. */
  name: string;
  /** Parent team slug or null. */
  parent: string | null;
  /** Direct members: lower-case login → role. */
  members: Map<string, 'member' | 'maintainer'>;
}

/** A read-only copy of an organization's state, for assertions. */
export interface OrgSnapshot {
  /** Organization login. */
  login: string;
  /** Members in insertion order. */
  members: { login: string; role: 'admin' | 'member' }[];
  /** Teams with their direct members. */
  teams: { slug: string; name: string; parent: string | null; members: string[] }[];
  /** Seats in listing order, including those pending cancellation. */
  seats: (Omit<FakeSeat, 'assignee'> & { login: string })[];
  /** Copilot settings. */
  billing: CopilotBillingSettings;
}

const DEFAULT_BILLING: CopilotBillingSettings = {
  seatManagementSetting: 'assign_selected',
  publicCodeSuggestions: 'block',
  ideChat: 'enabled',
  platformChat: 'enabled',
  cli: 'enabled',
  planType: 'business',
};

/** Users known to GitHub, shared by every organization of one fake. */
export class UserDirectory {
  private readonly users = new Map<string, FakeAccount>();
  private nextId = 1000;

  /** Returns the account for a login, creating it on first sight. */
  ensure(login: string, type: FakeAccount['type'] = 'User'): FakeAccount {
    const key = login.toLowerCase();
    let user = this.users.get(key);
    if (user === undefined) {
      user = { login, id: this.nextId++, type };
      this.users.set(key, user);
    }
    return user;
  }

  /** Finds an account by login, case-insensitively. */
  find(login: string): FakeAccount | undefined {
    return this.users.get(login.toLowerCase());
  }

  /** Renames an account: same object, same id, new login (as GitHub does). */
  rename(from: string, to: string): FakeAccount {
    const account = this.users.get(from.toLowerCase());
    if (account === undefined) throw new Error(`No account ${from} to rename.`);
    if (from.toLowerCase() !== to.toLowerCase() && this.users.has(to.toLowerCase())) throw new Error(`The login ${to} is taken.`);
    this.users.delete(from.toLowerCase());
    account.login = to;
    this.users.set(to.toLowerCase(), account);
    return account;
  }

  /** Hands out a fresh database id for non-user objects. */
  allocateId(): number {
    return this.nextId++;
  }
}

/** One organization: members, teams, Copilot seats and settings, held in Maps so that 100,000 members stay fast. */
export class FakeOrg {
  /** The organization's own account. */
  readonly account: FakeAccount;
  /** Copilot settings, mutable by tests. */
  billing: CopilotBillingSettings;
  private readonly members = new Map<string, { user: FakeAccount; role: 'admin' | 'member' }>();
  private memberOrder: string[] = [];
  private readonly teamsBySlug = new Map<string, FakeTeam>();
  private readonly seats = new Map<string, FakeSeat>();
  private seatOrder: string[] = [];
  private teamsVersion = 0;
  private derived: { version: number; sortedTeams: FakeTeam[]; children: Map<string, FakeTeam[]> } | undefined;
  private readonly allMembersCache = new Map<string, { version: number; logins: string[] }>();
  private readonly hidden = new Map<string, 'everywhere' | 'seats' | 'members'>();

  constructor(
    init: OrgInit,
    private readonly users: UserDirectory,
    private readonly now: () => Date,
  ) {
    this.account = users.ensure(init.login, 'Organization');
    if (init.id !== undefined) this.account.id = init.id;
    this.billing = { ...DEFAULT_BILLING, ...init.billing };
    for (const member of init.members ?? []) this.addMember(member.login, member.role);
    for (const team of init.teams ?? []) this.addTeam(team);
    for (const seat of init.seats ?? []) this.addSeat(seat);
  }

  /** Organization login. */
  get login(): string {
    return this.account.login;
  }

  /** Adds (or re-roles) a member. */
  addMember(login: string, role: 'admin' | 'member' = 'member'): FakeAccount {
    const key = login.toLowerCase();
    const existing = this.members.get(key);
    if (existing !== undefined) {
      existing.role = role;
      return existing.user;
    }
    const user = this.users.ensure(login);
    this.members.set(key, { user, role });
    this.memberOrder.push(key);
    return user;
  }

  /** Removes a member from the org and its teams; GitHub also drops their seat at once. */
  removeMember(login: string): void {
    const key = login.toLowerCase();
    if (!this.members.delete(key)) return;
    this.memberOrder = this.memberOrder.filter((k) => k !== key);
    for (const team of this.teamsBySlug.values()) team.members.delete(key);
    this.teamsVersion++;
    this.removeSeat(login);
  }

  /** The member with this login (case-insensitive), if any. */
  member(login: string): { user: FakeAccount; role: 'admin' | 'member' } | undefined {
    return this.members.get(login.toLowerCase());
  }

  /** Number of members. */
  get memberCount(): number {
    return this.memberOrder.length;
  }

  /** Members in listing order, from `start` (inclusive) to `end` (exclusive). */
  memberSlice(start: number, end: number): { user: FakeAccount; role: 'admin' | 'member' }[] {
    return this.memberOrder.slice(start, end).map((key) => this.members.get(key)!);
  }

  /** Adds a team (and any of its members who are not yet in the org). */
  addTeam(init: TeamInit): FakeTeam {
    const key = init.slug.toLowerCase();
    const team: FakeTeam = {
      id: this.teamsBySlug.get(key)?.id ?? this.users.allocateId(),
      slug: init.slug,
      name: init.name ?? init.slug,
      parent: init.parent ?? null,
      members: new Map(),
    };
    this.teamsBySlug.set(key, team);
    for (const login of init.members ?? []) this.addTeamMember(init.slug, login, 'member');
    for (const login of init.maintainers ?? []) this.addTeamMember(init.slug, login, 'maintainer');
    this.teamsVersion++;
    return team;
  }

  /** Adds a direct member to a team, adding them to the org when needed. */
  addTeamMember(slug: string, login: string, role: 'member' | 'maintainer' = 'member'): void {
    const team = this.requireTeam(slug);
    if (this.member(login) === undefined) this.addMember(login);
    team.members.set(login.toLowerCase(), role);
    this.teamsVersion++;
  }

  /** Removes a direct member from a team. */
  removeTeamMember(slug: string, login: string): void {
    this.requireTeam(slug).members.delete(login.toLowerCase());
    this.teamsVersion++;
  }

  /** The team with this slug (case-insensitive), if any. */
  team(slug: string): FakeTeam | undefined {
    return this.teamsBySlug.get(slug.toLowerCase());
  }

  /** Teams ordered by name, as GitHub's GraphQL API lists them by default. */
  sortedTeams(): FakeTeam[] {
    return this.derive().sortedTeams;
  }

  /** Direct child teams, ordered by name. */
  childTeams(slug: string): FakeTeam[] {
    return this.derive().children.get(slug.toLowerCase()) ?? [];
  }

  /** The team and all teams below it. */
  teamWithDescendants(slug: string): FakeTeam[] {
    const root = this.team(slug);
    if (root === undefined) return [];
    const result: FakeTeam[] = [];
    const seen = new Set<string>();
    const stack = [root];
    while (stack.length > 0) {
      const team = stack.pop()!;
      const key = team.slug.toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      result.push(team);
      stack.push(...this.childTeams(team.slug));
    }
    return result;
  }

  /** Lower-case logins of a team's members, including child teams' members when `membership` says so, sorted by login. */
  teamMemberLogins(slug: string, membership: 'ALL' | 'IMMEDIATE' | 'CHILD_TEAM'): string[] {
    const cacheKey = `${slug.toLowerCase()}:${membership}`;
    const cachedEntry = this.allMembersCache.get(cacheKey);
    if (cachedEntry !== undefined && cachedEntry.version === this.teamsVersion) return cachedEntry.logins;
    const team = this.team(slug);
    if (team === undefined) return [];
    const direct = new Set(team.members.keys());
    let logins: Set<string>;
    if (membership === 'IMMEDIATE') {
      logins = direct;
    } else {
      logins = membership === 'ALL' ? new Set(direct) : new Set();
      for (const descendant of this.teamWithDescendants(slug).slice(1)) {
        for (const key of descendant.members.keys()) {
          if (membership === 'CHILD_TEAM' && direct.has(key)) continue;
          logins.add(key);
        }
      }
    }
    const sorted = [...logins].sort();
    this.allMembersCache.set(cacheKey, { version: this.teamsVersion, logins: sorted });
    return sorted;
  }

  /** Whether a user belongs to the team directly or through a child team, and with which role. */
  teamMembership(slug: string, login: string): 'member' | 'maintainer' | undefined {
    const key = login.toLowerCase();
    for (const team of this.teamWithDescendants(slug)) {
      const role = team.members.get(key);
      if (role !== undefined) return role;
    }
    return undefined;
  }

  /** Adds or replaces a seat. */
  addSeat(init: SeatInit): FakeSeat {
    const key = init.login.toLowerCase();
    const user = this.member(init.login)?.user ?? this.addMember(init.login);
    const createdAt = init.createdAt ?? this.now().toISOString();
    const seat: FakeSeat = {
      assignee: user,
      createdAt,
      updatedAt: init.updatedAt ?? createdAt,
      pendingCancellationDate: init.pendingCancellationDate ?? null,
      lastActivityAt: init.lastActivityAt ?? null,
      lastActivityEditor: init.lastActivityEditor ?? null,
      lastAuthenticatedAt: init.lastAuthenticatedAt ?? null,
      assigningTeam: init.assigningTeam ?? null,
      planType: init.planType ?? this.billing.planType,
    };
    if (!this.seats.has(key)) this.seatOrder.push(key);
    this.seats.set(key, seat);
    return seat;
  }

  /** Deletes a seat outright, as happens when a pending cancellation takes effect. */
  removeSeat(login: string): void {
    const key = login.toLowerCase();
    if (!this.seats.delete(key)) return;
    this.seatOrder = this.seatOrder.filter((k) => k !== key);
  }

  /** The seat of a login, if any. */
  seat(login: string): FakeSeat | undefined {
    return this.seats.get(login.toLowerCase());
  }

  /** Number of seats, pending cancellations included (they are billed until the cycle ends). */
  get seatCount(): number {
    return this.seatOrder.length;
  }

  /** Seats in listing order, from `start` (inclusive) to `end` (exclusive). */
  seatSlice(start: number, end: number): FakeSeat[] {
    return this.seatOrder.slice(start, end).map((key) => this.seats.get(key)!);
  }

  /** All seats in listing order. */
  allSeats(): FakeSeat[] {
    return this.seatSlice(0, this.seatOrder.length);
  }

  /**
   * Leaves a user out of every listing (members, team members, seats) while GitHub's counts
   * (`totalCount`, `total_seats`) still include them: a torn read, as GitHub gives when a node
   * cannot be loaded. GraphQL answers such a member with a null node; the seat list skips the seat.
   * `where` limits it to the seat list or to the member listings.
   */
  hideFromListings(login: string, where: 'everywhere' | 'seats' | 'members' = 'everywhere'): void {
    this.hidden.set(login.toLowerCase(), where);
  }

  /** Lists a user hidden by `hideFromListings` again. */
  showInListings(login: string): void {
    this.hidden.delete(login.toLowerCase());
  }

  /** Whether `hideFromListings` hides this user from the seat list (`seats`) or the member listings (`members`). */
  isHidden(login: string, listing: 'seats' | 'members' = 'members'): boolean {
    const where = this.hidden.get(login.toLowerCase());
    return where === 'everywhere' || where === listing;
  }

  /** Moves a renamed user's rows (membership, teams, seat) to their new login key; called by the state. */
  rekeyUser(fromKey: string, toKey: string): void {
    const member = this.members.get(fromKey);
    if (member !== undefined) {
      this.members.delete(fromKey);
      this.members.set(toKey, member);
      this.memberOrder = this.memberOrder.map((k) => (k === fromKey ? toKey : k));
    }
    for (const team of this.teamsBySlug.values()) {
      const role = team.members.get(fromKey);
      if (role === undefined) continue;
      team.members.delete(fromKey);
      team.members.set(toKey, role);
    }
    this.teamsVersion++;
    const seat = this.seats.get(fromKey);
    if (seat !== undefined) {
      this.seats.delete(fromKey);
      this.seats.set(toKey, seat);
      this.seatOrder = this.seatOrder.map((k) => (k === fromKey ? toKey : k));
    }
    const where = this.hidden.get(fromKey);
    if (where !== undefined) {
      this.hidden.delete(fromKey);
      this.hidden.set(toKey, where);
    }
  }

  /** Ends the billing cycle: seats pending cancellation disappear. */
  endBillingCycle(): void {
    const pending = this.seatOrder.filter((key) => this.seats.get(key)?.pendingCancellationDate !== null);
    for (const key of pending) this.seats.delete(key);
    const gone = new Set(pending);
    this.seatOrder = this.seatOrder.filter((key) => !gone.has(key));
  }

  /** A copy of the state for assertions. */
  snapshot(): OrgSnapshot {
    return {
      login: this.login,
      members: this.memberOrder.map((key) => {
        const m = this.members.get(key)!;
        return { login: m.user.login, role: m.role };
      }),
      teams: [...this.teamsBySlug.values()].map((t) => ({
        slug: t.slug,
        name: t.name,
        parent: t.parent,
        members: [...t.members.keys()].map((key) => this.members.get(key)?.user.login ?? key),
      })),
      seats: this.allSeats().map(({ assignee, ...rest }) => ({ login: assignee.login, ...rest })),
      billing: { ...this.billing },
    };
  }

  private requireTeam(slug: string): FakeTeam {
    const team = this.team(slug);
    if (team === undefined) throw new Error(`Team ${slug} does not exist in ${this.login}; add it with addTeam() first.`);
    return team;
  }

  private derive(): { version: number; sortedTeams: FakeTeam[]; children: Map<string, FakeTeam[]> } {
    if (this.derived?.version === this.teamsVersion) return this.derived;
    const byName = (a: FakeTeam, b: FakeTeam): number =>
      a.name.toLowerCase() < b.name.toLowerCase() ? -1 : a.name.toLowerCase() > b.name.toLowerCase() ? 1 : 0;
    const sortedTeams = [...this.teamsBySlug.values()].sort(byName);
    const children = new Map<string, FakeTeam[]>();
    for (const team of sortedTeams) {
      if (team.parent === null) continue;
      const key = team.parent.toLowerCase();
      const list = children.get(key) ?? [];
      list.push(team);
      children.set(key, list);
    }
    this.derived = { version: this.teamsVersion, sortedTeams, children };
    return this.derived;
  }
}
