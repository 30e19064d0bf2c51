/**
 * Keeps the deployment files honest: the compose stack has the services and ports the docs
 * promise, and it only passes variables the config schema knows (a typo there would silently
 * fall back to a default in production).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ENV_NAMES } from '../../../src/config';

const ROOT = path.resolve(__dirname, '../../..');

interface Service {
  image?: string;
  build?: unknown;
  command?: string | string[];
  ports?: (string | number | { published?: string | number; target?: number })[];
  environment?: Record<string, string | number | boolean | null> | string[];
}

const compose = parse(fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
};
const services = compose.services;

function envOf(service: Service): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((e) => [e.split('=')[0]!, e.slice(e.indexOf('=') + 1)]));
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

/** Host ports published by a service: "8233:8080", "127.0.0.1:8000:8000", 7233, or long syntax. */
function publishedPorts(service: Service): number[] {
  return (service.ports ?? []).map((p) => {
    if (typeof p === 'number') return p;
    if (typeof p === 'object') return Number(p.published ?? p.target);
    const parts = p.split('/')[0]!.split(':');
    return Number(parts.length >= 2 ? parts[parts.length - 2] : parts[0]);
  });
}

describe('docker-compose.yml', () => {
  it('has the production-like stack', () => {
    for (const name of [
      'postgresql',
      'temporal-schema',
      'temporal',
      'temporal-namespace',
      'temporal-ui',
      'temporal-setup',
      'mission-control',
      'worker',
      'api',
    ]) {
      expect(services[name]).toBeDefined();
    }
    expect(services.postgresql!.image).toMatch(/^postgres:15/);
    expect(services.temporal!.image).toMatch(/^temporalio\/server:/);
    expect(envOf(services.temporal!).DB).toBe('postgres12_pgx');
    expect(services['temporal-ui']!.image).toMatch(/^temporalio\/ui:/);
    expect(envOf(services['temporal-ui']!).TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(compose.volumes).toHaveProperty(['temporal-postgres-data']);
  });

  it('runs the Temporal version, shards and dynamic config of make cluster (scripts/cluster/)', () => {
    const clusterEnv = fs.readFileSync(path.join(ROOT, 'scripts/cluster/env.sh'), 'utf8');
    const version = /TEMPORAL_SERVER_VERSION="\$\{TEMPORAL_SERVER_VERSION:-v([\d.]+)\}"/.exec(
      clusterEnv,
    )?.[1];
    const shards = /CLUSTER_SHARDS="\$\{CLUSTER_SHARDS:-(\d+)\}"/.exec(clusterEnv)?.[1];
    expect(version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(services.temporal!.image).toBe(`temporalio/server:${version}`);
    for (const oneShot of ['temporal-schema', 'temporal-namespace'])
      expect(services[oneShot]!.image).toBe(`temporalio/admin-tools:${version}`);
    expect(envOf(services.temporal!).NUM_HISTORY_SHARDS).toBe(shards);
    const temporal = services.temporal as Service & { volumes?: string[] };
    expect(temporal.volumes).toContain(
      './scripts/cluster/dynamicconfig.yaml:/etc/temporal/config/dynamicconfig/clasper.yaml:ro',
    );
    expect(envOf(services.temporal!).DYNAMIC_CONFIG_FILE_PATH).toBe(
      '/etc/temporal/config/dynamicconfig/clasper.yaml',
    );
  });

  it('publishes Temporal 7233, its UI 8233, the backend 8000 and the API 8081', () => {
    const all = Object.values(services).flatMap(publishedPorts);
    expect(all).toEqual(expect.arrayContaining([7233, 8233, 8000, 8081]));
    expect(publishedPorts(services['temporal-ui']!)).toEqual([8233]);
    expect(publishedPorts(services.api!)).toEqual([8081]);
  });

  it('runs our processes from our image with the right entry points', () => {
    const cmd = (s: Service) => (Array.isArray(s.command) ? s.command.join(' ') : String(s.command));
    expect(cmd(services.api!)).toContain('dist/src/api/main.js');
    expect(cmd(services.worker!)).toContain('dist/src/worker/main.js');
    expect(cmd(services['mission-control']!)).toContain('mission-control-lite/main');
    for (const name of ['api', 'worker', 'mission-control', 'temporal-setup'])
      expect(services[name]!.build).toBeDefined();
  });

  it('passes only variables the config schema knows to our processes', () => {
    const known = new Set<string>(ENV_NAMES);
    for (const name of ['api', 'worker', 'mission-control', 'temporal-setup']) {
      const unknown = Object.keys(envOf(services[name]!)).filter((k) => !known.has(k));
      expect({ service: name, unknown }).toEqual({ service: name, unknown: [] });
    }
  });

  it('gives each process the variables it cannot run without', () => {
    const worker = envOf(services.worker!);
    expect(worker).toMatchObject({
      TEMPORAL_ADDRESS: 'temporal:7233',
      BACKEND_URL: 'http://mission-control:8000',
    });
    expect(Object.keys(worker)).toEqual(
      expect.arrayContaining([
        'AGENT_JWT_SECRET',
        'INTERNAL_API_TOKEN',
        'OPENAI_API_KEY',
        'CLASPER_WORKSPACE',
      ]),
    );
    // Loopback is the default bind outside containers; the compose network needs every interface.
    expect(worker).toMatchObject({ CLASPER_WORKER_METRICS_HOST: '0.0.0.0' });
    const api = envOf(services.api!);
    expect(api).toMatchObject({
      CLASPER_PORT: '8081',
      TEMPORAL_ADDRESS: 'temporal:7233',
      CLASPER_HOST: '0.0.0.0',
    });
    expect(Object.keys(api)).toEqual(expect.arrayContaining(['AGENT_DAEMON_API_KEY', 'AGENT_JWT_SECRET']));
    const mc = envOf(services['mission-control']!);
    expect(mc).toMatchObject({ MC_LITE_PORT: '8000', MC_LITE_HOST: '0.0.0.0' });
    expect(Object.keys(mc)).toEqual(expect.arrayContaining(['AGENT_JWT_SECRET', 'INTERNAL_API_TOKEN']));
  });

  it('never hard-codes a secret: each comes from the environment', () => {
    const secrets = ['AGENT_JWT_SECRET', 'INTERNAL_API_TOKEN', 'AGENT_DAEMON_API_KEY', 'OPENAI_API_KEY'];
    for (const [name, service] of Object.entries(services)) {
      for (const [key, value] of Object.entries(envOf(service))) {
        if (secrets.includes(key))
          expect({ name, key, value }).toEqual({
            name,
            key,
            value: expect.stringMatching(/^\$\{[A-Z_]+(:[?-].*)?\}$/),
          });
      }
    }
    expect(envOf(services.worker!).AGENT_JWT_SECRET).toMatch(/^\$\{AGENT_JWT_SECRET:\?.+\}$/);
  });

  it('registers our search attributes once Temporal is up', () => {
    const setup = services['temporal-setup']!;
    expect(String(setup.command)).toContain('dist/scripts/temporal-setup.js');
    expect(envOf(setup).TEMPORAL_ADDRESS).toBe('temporal:7233');
  });
});

describe('Dockerfile', () => {
  const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');

  it('builds on Node 20 from the lock file, compiles, bundles workflows and drops dev deps', () => {
    const froms = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]);
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const image of froms) expect(image).toMatch(/^node:20-bookworm-slim$/);
    expect(dockerfile).toMatch(/^RUN npm install --no-audit --no-fund$/m);
    expect(dockerfile).toMatch(/^COPY package\.json package-lock\.json/m);
    expect(dockerfile).toMatch(/npm run build\b/);
    expect(dockerfile).toMatch(/npm run build:workflows/);
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
  });

  it('serves on every interface of the container (the processes default to loopback)', () => {
    expect(dockerfile).toMatch(/^ENV .*\bCLASPER_HOST=0\.0\.0\.0\b/m);
    expect(dockerfile).toMatch(/^ENV .*\bCLASPER_WORKER_METRICS_HOST=0\.0\.0\.0\b/m);
  });

  it('runs as a non-root user with an overridable CMD', () => {
    expect(dockerfile).toMatch(/^USER (?!root)\S+/m);
    expect(dockerfile).toMatch(/^CMD \["node", "dist\/src\/api\/main\.js"\]/m);
    expect(dockerfile).not.toMatch(/^ENTRYPOINT/m);
  });

  it('carries the CLI (bin/), which runs the compiled code the image has', () => {
    expect(dockerfile).toMatch(/^COPY bin \.\/bin$/m);
    expect(fs.readFileSync(path.join(ROOT, 'bin/clasper.js'), 'utf8')).toContain(
      "'dist', 'src', 'cli', 'index.js'",
    );
  });
});
