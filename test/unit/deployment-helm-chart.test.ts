import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Service } from 'kubernetes-models/v1/Service';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { CONFIG_VARIABLES, loadConfig } from '../../src/app/config.js';
import { type RenderedManifest, TemplateError, mergeValues, renderChart } from '../helpers/helm-render.js';

// The Helm chart in deploy/helm/ceos, rendered for several sets of values by the repository's own
// renderer (no helm binary here), validated against the Kubernetes API schemas that kubernetes-models
// ships (types, required fields, enums; unknown fields are kubeconform -strict's to catch) and checked
// field by field. CI (.github/workflows/ci.yml) also runs the real `helm lint` and
// `helm template | kubeconform -strict`.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHART = path.join(ROOT, 'deploy/helm/ceos');

/** Variables whose values are secrets: they may reach a pod only from the Secret. */
const SECRET_VARIABLES = CONFIG_VARIABLES.filter((name) => /SECRET|PRIVATE_KEY$|DATABASE_URL|ENCRYPTION_KEY|ADMIN_KEY|PASSWORD|TOKEN/.test(name));

type Obj = Record<string, any>;

function byKind(manifests: RenderedManifest[], kind: string): Obj[] {
  return manifests.filter((m) => m.object.kind === kind).map((m) => m.object);
}

function one(manifests: RenderedManifest[], kind: string): Obj {
  const found = byKind(manifests, kind);
  expect(found, `one ${kind}`).toHaveLength(1);
  return found[0]!;
}

function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** The schema model of each apiVersion and kind the chart may render. */
const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  'apps/v1 Deployment': Deployment,
  'v1 Service': Service,
  'networking.k8s.io/v1 Ingress': Ingress,
  'autoscaling/v2 HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1 PodDisruptionBudget': PodDisruptionBudget,
  'batch/v1 Job': Job,
  'monitoring.coreos.com/v1 ServiceMonitor': ServiceMonitor,
};

/** What the Kubernetes API schema says is wrong with a manifest (empty when it is valid). */
function schemaProblems(m: Obj): string[] {
  const Model = MODELS[`${m.apiVersion} ${m.kind}`];
  if (!Model) return [`${m.apiVersion} ${m.kind}: no schema known`];
  try {
    new Model(m).validate();
    return [];
  } catch (error) {
    return [`${m.kind}/${m.metadata?.name}: ${(error as Error).message}`];
  }
}

/** The fields the Kubernetes schemas require of each kind the chart renders (kubeconform checks the rest in CI). */
function requiredFieldProblems(m: Obj): string[] {
  const problems: string[] = [];
  const need = (ok: unknown, what: string) => {
    if (!ok) problems.push(`${m.kind}/${m.metadata?.name}: ${what}`);
  };
  need(typeof m.apiVersion === 'string' && m.apiVersion.length > 0, 'apiVersion');
  need(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(m.metadata?.name ?? '') && m.metadata.name.length <= 63, 'metadata.name is a DNS label');
  for (const [key, value] of Object.entries({ ...m.metadata?.labels, ...m.metadata?.annotations })) {
    need(typeof value === 'string', `label/annotation ${key} is a string`);
  }
  const podSpec = (spec: Obj | undefined, where: string) => {
    need(Array.isArray(spec?.containers) && spec.containers.length > 0, `${where}.containers`);
    for (const c of spec?.containers ?? []) {
      need(typeof c.name === 'string' && typeof c.image === 'string' && c.image.length > 0, `${where}.containers[].name and image`);
      for (const e of c.env ?? []) need(typeof e.name === 'string' && (typeof e.value === 'string' || e.valueFrom), `env ${e.name} has a string value`);
      for (const p of c.ports ?? []) need(Number.isInteger(p.containerPort), 'containerPort is an integer');
    }
  };
  switch (m.kind) {
    case 'Deployment':
      need(m.apiVersion === 'apps/v1', 'apps/v1');
      need(m.spec?.selector?.matchLabels, 'spec.selector');
      need(matches(m.spec?.selector?.matchLabels ?? { x: 'never' }, m.spec?.template?.metadata?.labels ?? {}), 'the selector matches the pod labels');
      need(Number.isInteger(m.spec?.template?.spec?.terminationGracePeriodSeconds), 'terminationGracePeriodSeconds is an integer');
      podSpec(m.spec?.template?.spec, 'spec.template.spec');
      break;
    case 'Service':
      need(m.spec?.ports?.every((p: Obj) => Number.isInteger(p.port)), 'spec.ports[].port');
      break;
    case 'Ingress':
      need(m.apiVersion === 'networking.k8s.io/v1', 'networking.k8s.io/v1');
      need(m.spec?.rules?.every((r: Obj) => r.http?.paths?.every((p: Obj) => p.pathType && p.backend?.service?.name)), 'rules with pathType and a service backend');
      break;
    case 'HorizontalPodAutoscaler':
      need(m.apiVersion === 'autoscaling/v2', 'autoscaling/v2');
      need(m.spec?.scaleTargetRef?.kind && m.spec?.scaleTargetRef?.name && Number.isInteger(m.spec?.maxReplicas), 'scaleTargetRef and maxReplicas');
      break;
    case 'PodDisruptionBudget':
      need(m.apiVersion === 'policy/v1', 'policy/v1');
      need((m.spec?.minAvailable === undefined) !== (m.spec?.maxUnavailable === undefined), 'exactly one of minAvailable and maxUnavailable');
      break;
    case 'Job':
      need(m.apiVersion === 'batch/v1', 'batch/v1');
      need(['Never', 'OnFailure'].includes(m.spec?.template?.spec?.restartPolicy), 'restartPolicy Never or OnFailure');
      podSpec(m.spec?.template?.spec, 'spec.template.spec');
      break;
    case 'ServiceMonitor':
      need(m.apiVersion === 'monitoring.coreos.com/v1', 'monitoring.coreos.com/v1');
      need(m.spec?.endpoints?.length > 0 && m.spec?.selector, 'endpoints and selector');
      break;
    default:
      problems.push(`unexpected kind ${m.kind}`);
  }
  return problems;
}

// CI lints and validates the chart with the same set (deploy/helm/ceos/ci/production-values.yaml).
const PRODUCTION = parseYaml(readFileSync(path.join(CHART, 'ci/production-values.yaml'), 'utf8')) as Obj;

const VALUE_SETS: [string, Obj, { name: string; namespace: string }?][] = [
  ['the defaults', {}],
  ['a production set (ingress with TLS, autoscaling, ServiceMonitor)', PRODUCTION, { name: 'governance', namespace: 'ceos' }],
  ['everything optional off', { migrations: { enabled: false }, podDisruptionBudget: { enabled: false } }],
];

describe.each(VALUE_SETS)('the chart rendered with %s', (_name, values, release) => {
  const manifests = renderChart(CHART, values, release);
  const deployment = one(manifests, 'Deployment');
  const pod = deployment.spec.template;
  const container = pod.spec.containers[0];
  const env = Object.fromEntries((container.env as Obj[]).map((e) => [e.name, e.value]));
  const shutdownTimeout = (values.shutdownTimeoutSeconds as number | undefined) ?? 25;

  it('renders only resources valid against the Kubernetes API schemas, with the fields CEOS relies on', () => {
    expect(manifests.flatMap((m) => schemaProblems(m.object))).toEqual([]);
    expect(manifests.flatMap((m) => requiredFieldProblems(m.object))).toEqual([]);
    expect(byKind(manifests, 'Secret')).toEqual([]);
  });

  it('probes readiness on /readyz and liveness on /healthz, on the container port', () => {
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.ports).toEqual([{ name: 'http', containerPort: 3000, protocol: 'TCP' }]);
    expect(env.PORT).toBe('3000');
  });

  it('gives the shutdown more time than CEOS takes: preStop, then each shutdown step its timeout', () => {
    const preStop = Number(container.lifecycle.preStop.exec.command[1]);
    expect(container.lifecycle.preStop.exec.command[0]).toBe('sleep');
    expect(preStop).toBeGreaterThan(0);
    expect(env.CEOS_SHUTDOWN_TIMEOUT_SECONDS).toBe(String(shutdownTimeout));
    expect(loadConfig(env).shutdownTimeoutSeconds).toBe(shutdownTimeout);
    expect(pod.spec.terminationGracePeriodSeconds).toBeGreaterThan(preStop + 2 * shutdownTimeout);
  });

  it('starts pods that never migrate, with only variables CEOS reads, and secrets only from the Secret', () => {
    expect(env.CEOS_MIGRATE_ON_START).toBe('false');
    expect(loadConfig(env).migrateOnStart).toBe(false);
    expect(Object.keys(env).filter((name) => !CONFIG_VARIABLES.includes(name))).toEqual([]);
    expect(Object.keys(env).filter((name) => SECRET_VARIABLES.includes(name))).toEqual([]);
    expect(container.envFrom).toEqual([{ secretRef: { name: (values.existingSecret as string | undefined) ?? 'ceos' } }]);
    expect(container.args).toEqual(['start']);
  });

  it('runs unprivileged, read-only, with no service account token', () => {
    expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000 });
    expect(container.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(pod.spec.automountServiceAccountToken).toBe(false);
  });

  it('points the Service, the PodDisruptionBudget and the ServiceMonitor at the pods, and never at the migration Job', () => {
    const service = one(manifests, 'Service');
    expect(matches(service.spec.selector, pod.metadata.labels)).toBe(true);
    expect(service.spec.ports[0]).toMatchObject({ name: 'http', targetPort: 'http' });
    for (const pdb of byKind(manifests, 'PodDisruptionBudget')) expect(matches(pdb.spec.selector.matchLabels, pod.metadata.labels)).toBe(true);
    for (const monitor of byKind(manifests, 'ServiceMonitor')) {
      expect(matches(monitor.spec.selector.matchLabels, service.metadata.labels)).toBe(true);
      expect(monitor.spec.endpoints).toEqual([{ port: 'http', path: '/metrics', interval: '30s' }]);
    }
    for (const job of byKind(manifests, 'Job')) {
      expect(matches(service.spec.selector, job.spec.template.metadata.labels)).toBe(false);
      expect(matches(deployment.spec.selector.matchLabels, job.spec.template.metadata.labels)).toBe(false);
    }
  });

  it('migrates in a pre-install and pre-upgrade hook Job with the pods\' image and environment', () => {
    const jobs = byKind(manifests, 'Job');
    if ((values.migrations as Obj | undefined)?.enabled === false) {
      expect(jobs).toEqual([]);
      return;
    }
    expect(jobs).toHaveLength(1);
    const job = jobs[0]!;
    expect(job.metadata.annotations['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    expect(job.metadata.annotations['helm.sh/hook-delete-policy']).toBe('before-hook-creation,hook-succeeded');
    const migrate = job.spec.template.spec.containers[0];
    expect(migrate.args).toEqual(['migrate']);
    expect(migrate.image).toBe(container.image);
    expect(migrate.envFrom).toEqual(container.envFrom);
    expect(migrate.env).toEqual(container.env);
    expect(job.spec.template.spec.securityContext).toEqual(pod.spec.securityContext);
  });
});

describe('the schema check', () => {
  it('finds a wrong type and missing required fields, and knows no schema for a kind the chart does not render', () => {
    const deployment = one(renderChart(CHART), 'Deployment');
    const broken = structuredClone(deployment);
    broken.spec.template.spec.terminationGracePeriodSeconds = '65';
    expect(schemaProblems(broken).join()).toMatch(/terminationGracePeriodSeconds must be integer/);
    const noSelector = structuredClone(deployment);
    delete noSelector.spec.selector;
    expect(schemaProblems(noSelector).join()).toMatch(/selector/);
    const service = one(renderChart(CHART), 'Service');
    expect(schemaProblems({ ...service, spec: { ...service.spec, ports: [{ name: 'http' }] } }).join()).toMatch(/port/);
    expect(schemaProblems({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' } })).toEqual(['v1 Pod: no schema known']);
  });
});

describe('the chart\'s optional parts', () => {
  it('by default: two replicas, a PodDisruptionBudget, no Ingress, autoscaler or ServiceMonitor', () => {
    const manifests = renderChart(CHART);
    expect(manifests.map((m) => m.object.kind).sort()).toEqual(['Deployment', 'Job', 'PodDisruptionBudget', 'Service']);
    expect(one(manifests, 'Deployment').spec.replicas).toBe(2);
    expect(one(manifests, 'Deployment').spec.template.spec.containers[0].image).toBe('ceos:0.1.0');
  });

  it('with the production set: TLS at the ingress for the host, the autoscaler owning the replica count', () => {
    const manifests = renderChart(CHART, PRODUCTION, { name: 'governance', namespace: 'ceos' });
    const deployment = one(manifests, 'Deployment');
    const service = one(manifests, 'Service');
    expect(deployment.metadata.name).toBe('governance-ceos');
    expect(deployment.spec.replicas).toBeUndefined();
    expect(deployment.spec.template.spec.containers[0].image).toBe('registry.example.com/ceos:1.2.3');
    expect(deployment.spec.template.spec.imagePullSecrets).toEqual([{ name: 'registry' }]);

    const ingress = one(manifests, 'Ingress');
    expect(ingress.spec.ingressClassName).toBe('nginx');
    expect(ingress.spec.tls).toEqual([{ hosts: ['ceos.example.com'], secretName: 'ceos-tls' }]);
    expect(ingress.spec.rules[0].host).toBe('ceos.example.com');
    expect(ingress.spec.rules[0].http.paths[0].backend.service).toEqual({ name: service.metadata.name, port: { name: 'http' } });
    expect(ingress.metadata.annotations).toEqual({ 'cert-manager.io/cluster-issuer': 'letsencrypt' });

    const hpa = one(manifests, 'HorizontalPodAutoscaler');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name });
    expect(hpa.spec).toMatchObject({ minReplicas: 3, maxReplicas: 10 });
    expect(hpa.spec.metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }]);

    expect(one(manifests, 'ServiceMonitor').metadata.labels.release).toBe('prometheus');
    const env = Object.fromEntries((deployment.spec.template.spec.containers[0].env as Obj[]).map((e) => [e.name, e.value]));
    expect(env).toMatchObject({ CEOS_PUBLIC_URL: 'https://ceos.example.com', CEOS_WORKER_CONCURRENCY: '20', CEOS_TRUST_FORWARDED_PROTO: 'true' });
    expect(loadConfig(env)).toMatchObject({ workerConcurrency: 20, dashboard: { trustForwardedProto: true, publicUrl: 'https://ceos.example.com' } });
  });

  it('serves plain HTTP at the ingress when no TLS secret is named', () => {
    const ingress = one(renderChart(CHART, { ingress: { enabled: true } }), 'Ingress');
    expect(ingress.spec.tls).toBeUndefined();
    expect(ingress.spec.ingressClassName).toBeUndefined();
  });

  it('refuses to render without the name of the Secret', () => {
    expect(() => renderChart(CHART, { existingSecret: '' })).toThrow(TemplateError);
    expect(() => renderChart(CHART, { existingSecret: '' })).toThrow(/existingSecret: name the Secret/);
  });
});

describe('values.yaml', () => {
  const values = parseYaml(readFileSync(path.join(CHART, 'values.yaml'), 'utf8')) as Obj;

  it('holds no secret: no secret variable among its keys, anywhere', () => {
    const keys: string[] = [];
    const walk = (value: unknown) => {
      if (value && typeof value === 'object') {
        for (const [key, child] of Object.entries(value)) {
          keys.push(key);
          walk(child);
        }
      }
    };
    walk(values);
    expect(keys.filter((key) => SECRET_VARIABLES.includes(key))).toEqual([]);
    expect(SECRET_VARIABLES).toEqual(
      expect.arrayContaining(['DATABASE_URL', 'PRIVATE_KEY', 'WEBHOOK_SECRET', 'CEOS_SESSION_SECRET', 'GITHUB_CLIENT_SECRET', 'CEOS_BOOTSTRAP_ADMIN_KEY', 'CEOS_ENCRYPTION_KEY', 'CEOS_ENCRYPTION_KEYS_PREVIOUS']),
    );
  });

  it('names only configuration variables CEOS reads, and the shutdown timeout CEOS defaults to', () => {
    expect(Object.keys(values.config).filter((name) => !CONFIG_VARIABLES.includes(name))).toEqual([]);
    expect(values.shutdownTimeoutSeconds).toBe(loadConfig({}).shutdownTimeoutSeconds);
    expect(values.containerPort).toBe(loadConfig({}).port);
  });
});

describe('values.schema.json (helm checks every install and upgrade against it)', () => {
  const schema = JSON.parse(readFileSync(path.join(CHART, 'values.schema.json'), 'utf8')) as Obj;
  const validate = new Ajv({ allErrors: true }).compile(schema);
  const defaults = parseYaml(readFileSync(path.join(CHART, 'values.yaml'), 'utf8')) as Obj;
  const errors = (overrides: Obj) => {
    validate(mergeValues(defaults, overrides));
    return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
  };

  it('accepts the defaults, every value set the tests render, and the global values a parent chart passes', () => {
    for (const [, values] of VALUE_SETS) expect(errors(values)).toEqual([]);
    expect(errors({ global: { imageRegistry: 'registry.example.com' } })).toEqual([]);
  });

  it.each([
    ['a secret under config', { config: { DATABASE_URL: 'postgres://ceos:pw@db/ceos' } }, /\/config must NOT be valid|property name must be valid/],
    ['a variable the chart sets itself', { config: { CEOS_MIGRATE_ON_START: 'true' } }, /property name must be valid/],
    ['a lower-case variable name', { config: { log_level: 'info' } }, /property name must be valid/],
    ['a shutdown timeout that is not a number', { shutdownTimeoutSeconds: '25' }, /\/shutdownTimeoutSeconds must be integer/],
    ['an empty Secret name', { existingSecret: '' }, /\/existingSecret must NOT have fewer than 1 characters/],
    ['an unknown setting', { replicas: 3 }, /must NOT have additional properties/],
    ['a memory size without a unit Kubernetes knows', { resources: { limits: { memory: '1GB' } } }, /\/resources\/limits\/memory must match pattern/],
  ])('refuses %s', (_name, overrides, message) => {
    expect(errors(overrides).join('\n')).toMatch(message);
  });

  it('refuses exactly the secret variables CEOS reads', () => {
    const secretRule = schema.properties.config.propertyNames.allOf[1].not.enum as string[];
    expect([...secretRule].sort()).toEqual([...SECRET_VARIABLES].sort());
  });
});
