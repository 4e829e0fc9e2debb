import { errorResult, notFound } from '../github-errors.js';
import { linkHeaders, pageSlice } from '../pagination.js';
import { blobSha } from '../repo-state.js';
import type { FakeRepo } from '../repo-state.js';
import { nodeId, simpleUser } from '../rest-shapes.js';
import type { RouteContext, RouteTable } from '../route-types.js';

/** Repository metadata, file contents and pull request files. */
export const repoRoutes: RouteTable = {
  'repos/get': (context) => {
    const repo = findRepo(context);
    if (repo === undefined) return notFound();
    const { apiUrl } = context;
    return {
      status: 200,
      body: {
        id: repo.id,
        node_id: nodeId('R', repo.id),
        name: repo.name,
        full_name: repo.fullName,
        owner: simpleUser(repo.owner, apiUrl),
        private: repo.private,
        visibility: repo.private ? 'private' : 'public',
        html_url: `https://github.example/${repo.fullName}`,
        url: `${apiUrl}/repos/${repo.fullName}`,
        description: null,
        fork: false,
        archived: false,
        disabled: false,
        default_branch: repo.defaultBranch,
      },
    };
  },

  'repos/get-branch': (context) => {
    const repo = findRepo(context);
    if (repo === undefined) return notFound();
    const branch = context.params.branch ?? '';
    if (branch !== repo.defaultBranch && !repo.files.has(branch) && !repo.branchHeads.has(branch)) {
      return errorResult(404, 'Branch not found');
    }
    const sha = repo.branchHead(branch);
    const { apiUrl } = context;
    return {
      status: 200,
      body: {
        name: branch,
        commit: { sha, node_id: nodeId('C', parseInt(sha.slice(0, 8), 16)), url: `${apiUrl}/repos/${repo.fullName}/commits/${sha}` },
        _links: { self: `${apiUrl}/repos/${repo.fullName}/branches/${branch}`, html: `https://github.example/${repo.fullName}/tree/${branch}` },
        protected: false,
        protection_url: `${apiUrl}/repos/${repo.fullName}/branches/${branch}/protection`,
      },
    };
  },

  'repos/get-content': (context) => {
    const repo = findRepo(context);
    if (repo === undefined) return notFound();
    const ref = context.query.get('ref') ?? repo.defaultBranch;
    const files = repo.files.get(ref);
    if (files === undefined) {
      return ref === repo.defaultBranch ? notFound() : errorResult(404, `No commit found for the ref ${ref}`);
    }
    const path = (context.params.path ?? '').replace(/^\/+|\/+$/g, '');
    const content = files.get(path);
    if (content !== undefined) return { status: 200, body: fileShape(repo, ref, path, content, context, true) };
    const prefix = path === '' ? '' : `${path}/`;
    const entries = new Map<string, Record<string, unknown>>();
    for (const [filePath, fileContent] of files) {
      if (!filePath.startsWith(prefix)) continue;
      const rest = filePath.slice(prefix.length);
      const [head, ...tail] = rest.split('/');
      const entryPath = `${prefix}${head}`;
      if (tail.length === 0) {
        entries.set(entryPath, fileShape(repo, ref, entryPath, fileContent, context, false));
      } else if (!entries.has(entryPath)) {
        entries.set(entryPath, { ...fileShape(repo, ref, entryPath, '', context, false), type: 'dir', size: 0, download_url: null });
      }
    }
    if (entries.size === 0) return notFound();
    return { status: 200, body: [...entries.values()] };
  },

  'pulls/list-files': (context) => {
    const repo = findRepo(context);
    const files = repo?.pullFiles.get(Number(context.params.pull_number));
    if (repo === undefined || files === undefined) return notFound();
    const { apiUrl, path, query } = context;
    const page = pageSlice(Math.min(files.length, 3000), query, `${apiUrl}${path}`, 30);
    const body = files.slice(page.start, page.end).map((file) => {
      const additions = file.additions ?? 1;
      const deletions = file.deletions ?? 0;
      return {
        sha: blobSha(file.filename),
        filename: file.filename,
        status: file.status ?? 'modified',
        additions,
        deletions,
        changes: additions + deletions,
        blob_url: `https://github.example/${repo.fullName}/blob/HEAD/${file.filename}`,
        raw_url: `https://github.example/${repo.fullName}/raw/HEAD/${file.filename}`,
        contents_url: `${apiUrl}/repos/${repo.fullName}/contents/${file.filename}`,
        ...(file.patch === undefined ? {} : { patch: file.patch }),
        ...(file.previousFilename === undefined ? {} : { previous_filename: file.previousFilename }),
      };
    });
    return { status: 200, headers: linkHeaders(page), body };
  },
};

/** The repository named by `{owner}/{repo}`, if it exists. */
export function findRepo({ state, params }: RouteContext): FakeRepo | undefined {
  return state.repo(params.owner ?? '', params.repo ?? '');
}

function fileShape(
  repo: FakeRepo,
  ref: string,
  path: string,
  content: string,
  { apiUrl }: RouteContext,
  withContent: boolean,
): Record<string, unknown> {
  const sha = blobSha(content);
  const self = `${apiUrl}/repos/${repo.fullName}/contents/${path}?ref=${encodeURIComponent(ref)}`;
  const git = `${apiUrl}/repos/${repo.fullName}/git/blobs/${sha}`;
  const html = `https://github.example/${repo.fullName}/blob/${ref}/${path}`;
  return {
    type: 'file',
    ...(withContent ? { encoding: 'base64', content: wrapBase64(Buffer.from(content, 'utf8').toString('base64')) } : {}),
    size: Buffer.byteLength(content, 'utf8'),
    name: path.split('/').pop() ?? path,
    path,
    sha,
    url: self,
    git_url: git,
    html_url: html,
    download_url: `https://raw.github.example/${repo.fullName}/${ref}/${path}`,
    _links: { self, git, html },
  };
}

function wrapBase64(encoded: string): string {
  // GitHub breaks base64 content into 60-character lines.
  const lines = encoded.match(/.{1,60}/g) ?? [];
  return lines.map((line) => `${line}\n`).join('');
}
