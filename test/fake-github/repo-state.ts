import { createHash } from 'node:crypto';
import type { FakeAccount } from './fake-state.js';

/** A changed file of a pull request (GET /repos/{owner}/{repo}/pulls/{pull_number}/files). */
export interface PullFileInit {
  /** Path of the file. */
  filename: string;
  /** Change kind. */
  status?: 'added' | 'removed' | 'modified' | 'renamed' | 'copied' | 'changed' | 'unchanged';
  /** Added lines. */
  additions?: number;
  /** Removed lines. */
  deletions?: number;
  /** Unified diff. */
  patch?: string;
  /** Former path of a renamed file. */
  previousFilename?: string;
}

/** A check run as stored by the fake. */
export interface FakeCheckRun {
  /** Check run id. */
  id: number;
  /** Check name. */
  name: string;
  /** Commit SHA. */
  headSha: string;
  /** Status. */
  status: string;
  /** Conclusion or null. */
  conclusion: string | null;
  /** ISO start time or null. */
  startedAt: string | null;
  /** ISO completion time or null. */
  completedAt: string | null;
  /** External id or null. */
  externalId: string | null;
  /** Details URL or null. */
  detailsUrl: string | null;
  /** Output title, summary and text. */
  output: { title: string | null; summary: string | null; text: string | null };
  /** Every annotation sent, across all requests. */
  annotations: Record<string, unknown>[];
  /** Action buttons. */
  actions: Record<string, unknown>[];
}

/** An issue or pull request comment. */
export interface FakeComment {
  /** Comment id. */
  id: number;
  /** Issue or pull request number. */
  issueNumber: number;
  /** Markdown body. */
  body: string;
  /** Author. */
  user: FakeAccount;
  /** ISO creation time. */
  createdAt: string;
  /** Reactions added to it. */
  reactions: { id: number; content: string; user: FakeAccount; createdAt: string }[];
}

/** An issue as stored by the fake. */
export interface FakeIssue {
  /** Issue id. */
  id: number;
  /** Issue number in its repository. */
  number: number;
  /** Title. */
  title: string;
  /** Markdown body, or null. */
  body: string | null;
  /** Open or closed. */
  state: 'open' | 'closed';
  /** Why it was closed or reopened, or null. */
  stateReason: string | null;
  /** Author. */
  user: FakeAccount;
  /** ISO creation time. */
  createdAt: string;
  /** ISO time of the last change. */
  updatedAt: string;
  /** ISO time it was closed, or null. */
  closedAt: string | null;
  /** Every body it had, oldest first (the current one last), for tests that check edits in place. */
  bodyHistory: (string | null)[];
}

/** A repository: its files per ref, pull request files, check runs, issues and comments. */
export class FakeRepo {
  /** Branch the repository reports as default. */
  defaultBranch: string;
  /** Whether the repository is private. */
  private: boolean;
  /** ref → path → file content. */
  readonly files = new Map<string, Map<string, string>>();
  /** pull number → changed files. */
  readonly pullFiles = new Map<number, PullFileInit[]>();
  /** Check runs by id. */
  readonly checkRuns = new Map<number, FakeCheckRun>();
  /** Comments by id. */
  readonly comments = new Map<number, FakeComment>();
  /** Issues by number. */
  readonly issues = new Map<number, FakeIssue>();
  /** Head commit sha of a branch, when a test set one (`setBranchHead`). */
  readonly branchHeads = new Map<string, string>();

  constructor(
    /** Repository id. */
    readonly id: number,
    /** Owner account. */
    readonly owner: FakeAccount,
    /** Repository name. */
    readonly name: string,
    options: { defaultBranch?: string; private?: boolean },
  ) {
    this.defaultBranch = options.defaultBranch ?? 'main';
    this.private = options.private ?? true;
  }

  /** Sets the head commit of a branch, as a push would. */
  setBranchHead(branch: string, sha: string): void {
    this.branchHeads.set(branch, sha);
  }

  /** The head commit of a branch: the one set, else a stable sha derived from its name. */
  branchHead(branch: string): string {
    return this.branchHeads.get(branch) ?? blobSha(`${this.fullName}@${branch}`);
  }

  /** `owner/name`. */
  get fullName(): string {
    return `${this.owner.login}/${this.name}`;
  }

  /** Stores a file at a ref (a branch name or a commit SHA). */
  putFile(ref: string, path: string, content: string): void {
    const atRef = this.files.get(ref) ?? new Map<string, string>();
    atRef.set(path.replace(/^\/+/, ''), content);
    this.files.set(ref, atRef);
  }

  /** Removes a file at a ref. */
  deleteFile(ref: string, path: string): void {
    this.files.get(ref)?.delete(path.replace(/^\/+/, ''));
  }
}

/** Git's blob SHA of a content, so that `sha` fields look and behave like GitHub's. */
export function blobSha(content: string): string {
  const bytes = Buffer.from(content, 'utf8');
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}
