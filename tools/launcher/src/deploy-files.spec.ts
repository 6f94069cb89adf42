import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { gatewaySecretProblem, loadPlatformConfig, masterKeyProblem, PLATFORM_ENV_KEYS } from '@clientela/platform';
import { GATEWAY_ENV_KEYS, loadGatewayConfig } from '../../../apps/gateway/src/config/gateway-config';
import { SERVICES } from './launcher-config';

// The other way to start the platform: docker-compose.yml and deploy/kubernetes run the image of
// deploy/Dockerfile. What this holds them to: every process the launcher starts is there, each with
// an environment its own configuration accepts (the way a container would start it), and nothing
// set that no process reads. A new service or a new required variable fails here, not in a cluster.

const root = join(__dirname, '..', '..', '..');
const PROCESSES = [...SERVICES, 'gateway'] as const;
/** What the image itself reads (deploy/Dockerfile): which process to run, and Node's mode. */
const IMAGE_KEYS = ['SERVICE', 'NODE_ENV'];
const KNOWN_KEYS = new Set<string>([...PLATFORM_ENV_KEYS, ...GATEWAY_ENV_KEYS, ...IMAGE_KEYS]);
/** Stand-ins for what the operator supplies (compose's `${…:-}`, the Kubernetes secret). */
const SECRETS: Record<string, string> = {
  CLIENTELA_MASTER_KEY: `${'A'.repeat(43)}=`,
  ADMIN_API_KEY: 'a'.repeat(48),
  DATABASE_URL: 'postgres://clientela@db:5432/clientela',
  GATEWAY_SECRET: 's'.repeat(48),
};

/** A process's environment must load as that process loads it, and mean Kafka mode with personal data sealed. */
const expectStartable = (name: string, env: Record<string, string>): void => {
  expect(env.SERVICE).toBe(name);
  expect(existsSync(join(root, 'apps', name, 'src', 'main.ts'))).toBe(true);
  expect(Object.keys(env).filter((key) => !KNOWN_KEYS.has(key))).toEqual([]);
  expect(env.HOST).toBe('0.0.0.0');
  const platform = loadPlatformConfig(env);
  expect(platform.bus.kind).toBe('kafka');
  // The services answer their API to the gateway alone: every process gets the shared secret.
  expect(platform.gatewaySecret).toBe(SECRETS.GATEWAY_SECRET);
  // The services seal personal data; the gateway never opens it (its admin operations read events as stored).
  if (name !== 'gateway') {
    expect(masterKeyProblem(platform)).toBeUndefined();
    expect(gatewaySecretProblem(platform)).toBeUndefined();
  } else {
    expect(env.CLIENTELA_MASTER_KEY).toBeUndefined();
    const gateway = loadGatewayConfig(env);
    expect(Object.keys(gateway.services).sort()).toEqual([...SERVICES].sort());
    for (const service of SERVICES) expect(gateway.services[service]).toBe(`http://${service}:${platform.port}`);
  }
};

const withSecrets = (env: Record<string, unknown>): Record<string, string> =>
  Object.fromEntries(Object.entries(env).map(([key, value]) => [key, /^\$\{[A-Z_]+:-\}$/.test(String(value)) ? SECRETS[key] : String(value)]));

describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, { build?: { dockerfile?: string }; image?: string; environment?: Record<string, unknown>; healthcheck?: unknown; ports?: string[] }>;
  };

  it.each(PROCESSES)('runs %s from the image with an environment it starts with', (name) => {
    const service = compose.services[name];
    expect(service?.build?.dockerfile).toBe('deploy/Dockerfile');
    expect(service.healthcheck).toBeDefined();
    expectStartable(name, withSecrets(service.environment ?? {}));
  });

  it('publishes the gateway alone: a service trusts the role and actor headers the gateway sets', () => {
    expect(PROCESSES.filter((name) => compose.services[name].ports !== undefined)).toEqual(['gateway']);
  });

  it('asks the operator for the secrets rather than holding any', () => {
    for (const name of PROCESSES) {
      const env = compose.services[name].environment ?? {};
      for (const key of Object.keys(SECRETS).filter((k) => k !== 'DATABASE_URL' && k in env)) expect(env[key]).toBe(`\${${key}:-}`);
    }
  });
});

describe('deploy/kubernetes', () => {
  const dir = join(root, 'deploy', 'kubernetes');
  type Doc = { kind: string; metadata: { name: string }; data?: Record<string, string>; spec?: DeploymentSpec & ServiceSpec & PolicySpec };
  type PolicySpec = {
    podSelector: { matchExpressions?: Array<{ key: string; operator: string; values: string[] }> };
    ingress: Array<{ from: Array<{ podSelector?: { matchLabels?: Record<string, string> } }> }>;
  };
  type Env = { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } };
  type Container = {
    image: string;
    env?: Env[];
    envFrom?: Array<{ configMapRef?: { name: string } }>;
    ports: Array<{ name: string; containerPort: number }>;
    livenessProbe?: { httpGet: { path: string; port: string } };
    readinessProbe?: { httpGet: { path: string; port: string } };
  };
  type DeploymentSpec = { template: { spec: { containers: Container[] } } };
  type ServiceSpec = { ports: Array<{ targetPort: string }> };
  const kustomization = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
  const docs = readdirSync(dir)
    .filter((file) => file !== 'kustomization.yaml')
    .flatMap((file) => parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((doc) => ({ file, doc: doc.toJS() as Doc })));
  const config = docs.find(({ doc }) => doc.kind === 'ConfigMap')?.doc.data ?? {};

  it('applies every manifest in the folder', () => {
    expect([...kustomization.resources].sort()).toEqual([...new Set(docs.map(({ file }) => file))].sort());
  });

  it('lets only the gateway reach the services: they trust the role and actor headers it sets', () => {
    const policies = docs.filter(({ doc }) => doc.kind === 'NetworkPolicy').map(({ doc }) => doc.spec as PolicySpec);
    const covering = (name: string) =>
      policies.filter((policy) =>
        (policy.podSelector.matchExpressions ?? []).some((e) => e.key === 'app.kubernetes.io/name' && e.operator === 'In' && e.values.includes(name)),
      );
    for (const service of SERVICES) {
      const [policy, ...more] = covering(service);
      expect(more).toEqual([]);
      expect(policy?.ingress.flatMap((rule) => rule.from)).toEqual([{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'gateway' } } }]);
    }
    expect(covering('gateway')).toEqual([]);
  });

  it.each(PROCESSES)('runs %s from the image with an environment it starts with, probed and reachable', (name) => {
    const deployment = docs.find(({ doc }) => doc.kind === 'Deployment' && doc.metadata.name === name)?.doc;
    const service = docs.find(({ doc }) => doc.kind === 'Service' && doc.metadata.name === name)?.doc;
    const container = deployment?.spec?.template.spec.containers[0];
    expect(container?.image).toBe('clientela');
    expect(container?.envFrom).toEqual([{ configMapRef: { name: 'clientela-config' } }]);
    const env: Record<string, string> = { ...config };
    for (const variable of container?.env ?? []) {
      const secret = variable.valueFrom?.secretKeyRef;
      if (secret) expect(secret).toEqual({ name: 'clientela-secrets', key: variable.name });
      env[variable.name] = secret ? SECRETS[variable.name] : (variable.value ?? '');
    }
    expectStartable(name, env);
    expect(container?.ports).toEqual([{ name: 'http', containerPort: Number(env.PORT) }]);
    expect(container?.livenessProbe?.httpGet).toEqual({ path: '/health/live', port: 'http' });
    expect(container?.readinessProbe?.httpGet.path).toMatch(/^\/health\/(ready|live)$/);
    expect(service?.spec?.ports.map((port) => port.targetPort)).toEqual(['http']);
  });
});
