import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parser } from '@prometheus-io/lezer-promql';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { createMetrics } from '../../src/app/metrics.js';

// The Grafana dashboard and the Prometheus alert rules may only use series CEOS exports: each query
// is parsed with Prometheus's PromQL grammar, and every metric name and label in it is looked up in
// the registry CEOS serves on /metrics. CI also runs promtool on the rules.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

interface Series {
  type: string;
  labels: string[];
}

/** The series CEOS's registry exports, with a histogram's _bucket, _sum and _count. */
async function exportedSeries(): Promise<Map<string, Series>> {
  const metrics = createMetrics(async () => ({}));
  const series = new Map<string, Series>();
  for (const metric of await metrics.registry.getMetricsAsJSON()) {
    const labels = ((metrics.registry.getSingleMetric(metric.name) as unknown as { labelNames?: string[] }).labelNames ?? []).slice();
    const type = String(metric.type);
    series.set(metric.name, { type, labels });
    if (type === 'histogram') {
      series.set(`${metric.name}_bucket`, { type, labels: [...labels, 'le'] });
      series.set(`${metric.name}_sum`, { type, labels });
      series.set(`${metric.name}_count`, { type, labels });
    }
  }
  return series;
}

/** Labels Prometheus adds to every scraped series. */
const TARGET_LABELS = ['instance', 'job', 'namespace', 'pod', 'service'];

/**
 * What a PromQL expression uses, read from its syntax tree (Prometheus's own grammar): metric names,
 * label matchers per metric, and `by (...)` / `on (...)` labels; and its syntax errors.
 */
function usage(expr: string) {
  const names: string[] = [];
  const matchers: { metric: string; label: string }[] = [];
  const grouping: string[] = [];
  const syntaxErrors: string[] = [];
  parser.parse(expr).iterate({
    enter(node) {
      if (node.type.isError) syntaxErrors.push(`syntax error at ${node.from}: ${JSON.stringify(expr.slice(Math.max(0, node.from - 10), node.to + 10))}`);
      if (node.name === 'VectorSelector') {
        const metric = node.node.getChild('Identifier');
        if (!metric) return;
        const name = expr.slice(metric.from, metric.to);
        names.push(name);
        for (const matcher of node.node.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? []) {
          const label = matcher.getChild('LabelName')!;
          matchers.push({ metric: name, label: expr.slice(label.from, label.to) });
        }
      }
      if (node.name === 'GroupingLabels') {
        for (const label of node.node.getChildren('LabelName')) grouping.push(expr.slice(label.from, label.to));
      }
    },
  });
  return { names, matchers, grouping, syntaxErrors };
}

function problems(expr: string, series: Map<string, Series>): string[] {
  const { names, matchers, grouping, syntaxErrors } = usage(expr);
  const found: string[] = [...syntaxErrors];
  if (names.length === 0) found.push(`${expr}: uses no CEOS series`);
  for (const name of names) if (!series.has(name)) found.push(`${name} is not exported`);
  for (const { metric, label } of matchers) {
    if (series.has(metric) && !series.get(metric)!.labels.includes(label) && !TARGET_LABELS.includes(label)) found.push(`${metric} has no label ${label}`);
  }
  const known = new Set(names.flatMap((n) => series.get(n)?.labels ?? []));
  for (const label of grouping) if (!known.has(label) && !TARGET_LABELS.includes(label)) found.push(`${expr}: groups by ${label}, which none of its series has`);
  return found;
}

type Panel = { id: number; type: string; title: string; datasource?: unknown; targets?: { expr: string; refId: string }[] };

describe('metric names of the dashboard and the alerts', () => {
  let series: Map<string, Series>;
  beforeAll(async () => {
    series = await exportedSeries();
  });

  it('reads a real registry: the series of the intake, the queue and the reconciliation are there', () => {
    for (const name of ['ceos_deliveries_received_total', 'ceos_queue_depth', 'ceos_reconcile_duration_seconds_bucket', 'ceos_process_process_cpu_seconds_total']) {
      expect(series.has(name), name).toBe(true);
    }
    expect(series.get('ceos_queue_depth')!.labels).toEqual(['status']);
    // The checker finds what does not exist.
    expect(problems('sum(rate(ceos_nope_total[5m]))', series)).toEqual(['ceos_nope_total is not exported']);
    expect(problems('ceos_queue_depth{state="dead"}', series)).toEqual(['ceos_queue_depth has no label state']);
    expect(problems('sum by (org) (ceos_queue_depth)', series)).toEqual(['sum by (org) (ceos_queue_depth): groups by org, which none of its series has']);
    expect(problems('sum(rate(ceos_queue_depth[5m])', series).join()).toMatch(/^syntax error at/);
    expect(usage('sum by (org, le) (rate(ceos_reconcile_duration_seconds_bucket{outcome="failed"}[1h])) > 2')).toEqual({
      names: ['ceos_reconcile_duration_seconds_bucket'],
      matchers: [{ metric: 'ceos_reconcile_duration_seconds_bucket', label: 'outcome' }],
      grouping: ['org', 'le'],
      syntaxErrors: [],
    });
  });

  it('the Grafana dashboard queries only exported series and labels, and covers what operators watch', () => {
    const dashboard = JSON.parse(read('deploy/grafana/ceos-dashboard.json')) as { uid: string; title: string; panels: Panel[]; templating: { list: { name: string; type: string }[] } };
    expect(dashboard.uid).toBe('ceos-overview');
    expect(dashboard.templating.list).toContainEqual(expect.objectContaining({ name: 'datasource', type: 'datasource' }));
    const panels = dashboard.panels.filter((p) => p.type !== 'row');
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    const exprs: string[] = [];
    for (const panel of panels) {
      expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      exprs.push(...panel.targets!.map((t) => t.expr));
    }
    expect(exprs.flatMap((e) => problems(e, series))).toEqual([]);
    const used = new Set(exprs.flatMap((e) => usage(e).names));
    // Intake rate and latency, queue depth and age, reconcile outcomes, GitHub rate limit, notification failures.
    for (const name of [
      'ceos_deliveries_received_total',
      'ceos_delivery_processing_seconds_bucket',
      'ceos_queue_depth',
      'ceos_delivery_oldest_due_seconds',
      'ceos_reconcile_duration_seconds_count',
      'ceos_github_rate_limit_remaining',
      'ceos_notification_attempts_total',
    ]) {
      expect(used.has(name), name).toBe(true);
    }
  });

  it('the alert rules query only exported series and labels, each with a severity and a summary', () => {
    const rules = parseYaml(read('deploy/prometheus/ceos-alerts.yml')) as {
      groups: { name: string; rules: { alert: string; expr: string; for?: string; labels: Record<string, string>; annotations: Record<string, string> }[] }[];
    };
    const all = rules.groups.flatMap((g) => g.rules);
    expect(new Set(all.map((r) => r.alert)).size).toBe(all.length);
    for (const rule of all) {
      expect(rule.alert).toMatch(/^Ceos[A-Za-z]+$/);
      expect(['info', 'warning', 'critical']).toContain(rule.labels.severity);
      expect(rule.annotations.summary, rule.alert).toBeTruthy();
      if (rule.for) expect(rule.for).toMatch(/^\d+[smh]$/);
    }
    expect(all.flatMap((r) => problems(r.expr, series))).toEqual([]);
    const alertOn = (name: string) => all.filter((r) => usage(r.expr).names.includes(name)).map((r) => r.alert);
    // Dead deliveries, queue age, reconcile failures, rate limit low.
    expect(alertOn('ceos_deliveries_dead_lettered_total')).not.toEqual([]);
    expect(alertOn('ceos_delivery_oldest_due_seconds')).not.toEqual([]);
    expect(all.find((r) => r.expr.includes('ceos_reconcile_duration_seconds_count{outcome="failed"}'))).toBeDefined();
    expect(alertOn('ceos_github_rate_limit_remaining')).not.toEqual([]);
  });
});
