import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

// The GitHub Actions workflow runs where GitHub runs it, never here; this test checks that it
// parses and still runs each check the deployment relies on (docs/deployment.md, "Which checks
// run where").

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

type Step = { name?: string; uses?: string; run?: string; if?: string; env?: Record<string, string> };
type Job = { steps: Step[]; services?: Record<string, { image: string }>; strategy?: { matrix: Record<string, string[]> } };

const workflow = parseYaml(readFileSync(path.join(ROOT, '.github/workflows/ci.yml'), 'utf8')) as {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  jobs: Record<string, Job>;
};
const runs = (job: string) => workflow.jobs[job]!.steps.map((s) => s.run ?? '').join('\n');

describe('.github/workflows/ci.yml', () => {
  it('runs on pushes to main and on pull requests, with read-only permissions', () => {
    expect(Object.keys(workflow.on).sort()).toEqual(['pull_request', 'push']);
    expect(workflow.permissions).toEqual({ contents: 'read' });
  });

  it('typechecks, and installs from the lockfile', () => {
    expect(runs('typecheck')).toContain('npm ci');
    expect(runs('typecheck')).toContain('npm run typecheck');
  });

  it('runs the tests on PGlite and on a PostgreSQL service named by DATABASE_URL', () => {
    const test = workflow.jobs.test!;
    expect(test.strategy!.matrix.backend).toEqual(['pglite', 'postgres']);
    expect(test.services!.postgres!.image).toMatch(/^postgres:\d+$/);
    const pglite = test.steps.find((s) => s.if === "matrix.backend == 'pglite'")!;
    const postgres = test.steps.find((s) => s.if === "matrix.backend == 'postgres'")!;
    expect(pglite.run).toBe('env -u DATABASE_URL npm exec -- vitest run');
    expect(postgres.run).toBe('npm exec -- vitest run');
    expect(new URL(postgres.env!.DATABASE_URL!).host).toBe('127.0.0.1:5432');
  });

  it('builds the image, waits for its health check, stops it with SIGTERM, and runs the compose file', () => {
    const docker = runs('docker');
    expect(docker).toContain('docker build --tag ceos:ci .');
    expect(docker).toContain('.State.Health.Status');
    expect(docker).toMatch(/docker stop --time \d+ ceos/);
    expect(docker).toContain('.State.ExitCode');
    expect(docker).toContain('docker compose up --detach --build');
  });

  it('lints the chart and validates its rendering against the Kubernetes schemas, with every value set the tests render', () => {
    const chart = runs('chart');
    expect(chart).toContain('helm lint --strict deploy/helm/ceos');
    expect(chart).toMatch(/helm template ceos deploy\/helm\/ceos \$values[\s\S]*\| kubeconform -strict/);
    expect(chart).toContain('deploy/helm/ceos/ci/production-values.yaml');
    expect(chart).toContain('promtool');
    expect(chart).toContain('check rules /rules/ceos-alerts.yml');
  });
});
