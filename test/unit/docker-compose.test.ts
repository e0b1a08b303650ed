/**
 * docker-compose.yml and the Dockerfile cannot run here (no Docker engine), so check their wiring: services, ports,
 * environment, the build, the commands, that no secret is written into them, and that the Temporal part matches what
 * `npm run cluster` does (same server version, same schema steps: scripts/cluster/layout.ts).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SCHEMA_DATABASES, schemaSteps, TEMPORAL_SERVER_VERSION } from '../../scripts/cluster/layout';
import { SEARCH_ATTRIBUTE_DEFINITIONS } from '../../src/contracts/search-attributes';

const root = resolve(__dirname, '..', '..');
const composeText = readFileSync(join(root, 'docker-compose.yml'), 'utf8');

interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  environment?: string[] | Record<string, string | number | boolean | null>;
  ports?: Array<string | number | { target: number; published?: string | number }>;
  expose?: Array<string | number>;
  profiles?: string[];
  entrypoint?: string | string[];
  stop_grace_period?: string;
}
const compose = parse(composeText) as { services: Record<string, ComposeService> };
const services = compose.services;

function env(service: ComposeService): Record<string, string | null> {
  const raw = service.environment ?? {};
  if (Array.isArray(raw)) {
    return Object.fromEntries(
      raw.map((entry) => {
        const eq = entry.indexOf('=');
        return eq === -1 ? [entry, null] : [entry.slice(0, eq), entry.slice(eq + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, v === null ? null : String(v)]));
}

function dependsOn(service: ComposeService): string[] {
  const raw = service.depends_on ?? [];
  return Array.isArray(raw) ? raw : Object.keys(raw);
}

/** `"18080-18081"` → [18080, 18081]; `"7233"` → [7233]. */
function portRange(text: string): number[] {
  const [first, last = first] = text.split('-').map(Number) as [number, number?];
  expect(Number.isInteger(first) && Number.isInteger(last) && last >= first, `port range '${text}'`).toBe(true);
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

/** [published host port | undefined, container port] for each port of each `ports` entry (ranges expanded). */
function portMappings(service: ComposeService): Array<[number | undefined, number]> {
  return (service.ports ?? []).flatMap((entry): Array<[number | undefined, number]> => {
    if (typeof entry === 'object') return [[entry.published === undefined ? undefined : Number(entry.published), entry.target]];
    const parts = String(entry).split('/')[0]!.split(':');
    const containers = portRange(parts.at(-1)!);
    const hosts = parts.length > 1 ? portRange(parts.at(-2)!) : undefined;
    expect(hosts === undefined || hosts.length === containers.length, `ports '${entry}'`).toBe(true);
    return containers.map((container, i) => [hosts?.[i], container]);
  });
}

function containerPorts(service: ComposeService): number[] {
  return [...portMappings(service).map(([, c]) => c), ...(service.expose ?? []).map(Number)];
}

function commandOf(service: ComposeService): string[] {
  const command = service.command ?? [];
  return Array.isArray(command) ? command : command.split(/\s+/).filter(Boolean);
}

interface DockerStage {
  from: string;
  name?: string;
  instructions: Array<{ op: string; args: string }>;
}

/** The Dockerfile's stages, each with its instructions (continuation lines joined, comments dropped). */
function dockerStages(text: string): DockerStage[] {
  const logical = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const stages: DockerStage[] = [];
  for (const line of logical) {
    const [op = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (op.toUpperCase() === 'FROM') {
      const match = /^(\S+)(?:\s+AS\s+(\S+))?/i.exec(args);
      stages.push({ from: match?.[1] ?? '', ...(match?.[2] ? { name: match[2] } : {}), instructions: [] });
    } else {
      stages.at(-1)?.instructions.push({ op: op.toUpperCase(), args });
    }
  }
  return stages;
}

const starwaveServices = Object.entries(services).filter(([, s]) => commandOf(s)[0] === 'node');

/**
 * Subcommands docker-compose.yml uses that the CLI does not register yet: their owners add them in parallel.
 * Remove each entry when its subcommand lands (the test then checks it against `starwave --help`).
 */
const PENDING_SUBCOMMANDS = new Set<string>([]);

describe('docker-compose.yml', () => {
  it('has the Temporal stack and the starwave services', () => {
    expect(Object.keys(services)).toEqual(
      expect.arrayContaining(['postgresql', 'temporal-schema', 'temporal', 'temporal-namespace', 'temporal-ui', 'starwave-worker', 'starwave-api', 'starwave-emulator']),
    );
    expect(env(services['temporal']!)['DB']).toBe('postgres12');
    expect(services['starwave-emulator']?.profiles).toContain('emulator');
  });

  it('runs the Temporal server release npm run cluster builds', () => {
    const version = TEMPORAL_SERVER_VERSION.replace(/^v/, '');
    expect(services['temporal']?.image).toBe(`temporalio/server:${version}`);
    for (const name of ['temporal-schema', 'temporal-namespace']) {
      expect(services[name]?.image, `${name} image`).toMatch(new RegExp(`^temporalio/admin-tools:${version.replace(/\./g, '\\.')}(-|$)`));
    }
  });

  it('sets up both schemas with the same temporal-sql-tool steps as npm run cluster, before the server starts', () => {
    const schema = services['temporal-schema']!;
    const script = commandOf(schema).join(' ');
    const lines = script.split('\n').map((line) => line.trim()).filter(Boolean);
    const expected = SCHEMA_DATABASES.flatMap(({ db, folder }) =>
      schemaSteps(`/etc/temporal/schema/postgresql/v12/${folder}/versioned`).map((step) => ['temporal-sql-tool', '--db', db, ...step].join(' ')),
    );
    expect(lines).toEqual(expected);
    expect(env(schema)).toMatchObject({ SQL_PLUGIN: 'postgres12', SQL_HOST: 'postgresql', SQL_PORT: '5432', SQL_USER: 'temporal' });
    expect((schema.depends_on as Record<string, { condition?: string }>)['postgresql']?.condition).toBe('service_healthy');
    expect((services['temporal']!.depends_on as Record<string, { condition?: string }>)['temporal-schema']?.condition).toBe('service_completed_successfully');
  });

  it("creates the namespace default and starwave's search attributes before starwave starts", () => {
    const namespace = services['temporal-namespace']!;
    const script = commandOf(namespace).join(' ');
    expect(script).toMatch(/temporal operator namespace create --namespace default\b/);
    const created = script.split('\n').find((line) => line.includes('search-attribute create')) ?? '';
    const pairs = [...created.matchAll(/--name (\S+) --type (\S+)/g)].map((m) => ({ name: m[1], type: m[2] }));
    expect(pairs).toEqual(SEARCH_ATTRIBUTE_DEFINITIONS.map(({ name, type }) => ({ name, type })));
    expect(env(namespace)['TEMPORAL_ADDRESS']).toBe('temporal:7233');
    for (const name of ['starwave-worker', 'starwave-api']) {
      const deps = services[name]!.depends_on as Record<string, { condition?: string }>;
      expect(deps['temporal-namespace']?.condition, `${name} waits for the namespace`).toBe('service_completed_successfully');
    }
  });

  it("gives the worker time to drain: stop_grace_period beyond its 30 s shutdown deadline and the launcher's 5 s backstop", () => {
    const grace = services['starwave-worker']?.stop_grace_period ?? '10s';
    const seconds = Number(/^(\d+)s$/.exec(grace)?.[1] ?? NaN);
    expect(seconds).toBeGreaterThanOrEqual(35);
  });

  it('depends only on services that exist', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const target of dependsOn(service)) expect(Object.keys(services), `${name} depends_on ${target}`).toContain(target);
    }
  });

  it('points Temporal at PostgreSQL, which is healthy before the schema step runs', () => {
    const temporal = services['temporal']!;
    expect(env(temporal)['POSTGRES_SEEDS']).toBe('postgresql');
    expect(services['postgresql']?.image).toMatch(/^postgres:16/);
    expect(services['postgresql']).toHaveProperty('healthcheck');
    const deps = services['temporal-schema']!.depends_on as Record<string, { condition?: string }>;
    expect(deps['postgresql']?.condition).toBe('service_healthy');
  });

  it('wires the worker, the API and the UI to the temporal service and its container port', () => {
    const temporalPorts = containerPorts(services['temporal']!);
    for (const name of ['starwave-worker', 'starwave-api', 'temporal-ui']) {
      const address = env(services[name]!)['TEMPORAL_ADDRESS'];
      expect(address, `${name} TEMPORAL_ADDRESS`).toMatch(/^[\w-]+:\d+$/);
      const [host, port] = address!.split(':');
      expect(host, `${name} TEMPORAL_ADDRESS host`).toBe('temporal');
      expect(temporalPorts, `${name} TEMPORAL_ADDRESS port`).toContain(Number(port));
      expect(dependsOn(services[name]!), `${name} depends_on`).toContain('temporal');
    }
    expect(env(services['starwave-worker']!)['STARWAVE_TASK_QUEUE']).toBe(env(services['starwave-api']!)['STARWAVE_TASK_QUEUE']);
  });

  it('publishes each host port once', () => {
    const published = Object.entries(services).flatMap(([name, s]) =>
      portMappings(s).flatMap(([host]) => (host === undefined ? [] : [{ name, host }])),
    );
    const seen = new Map<number, string>();
    for (const { name, host } of published) {
      expect(seen.get(host), `host port ${host} published by ${seen.get(host)} and ${name}`).toBeUndefined();
      seen.set(host, name);
    }
    expect(seen.get(8233)).toBe('temporal-ui');
    expect(seen.get(7233)).toBe('temporal');
  });

  it('publishes ports on the host loopback only, and the API listens on every interface inside its container', () => {
    // Nothing unauthenticated (Temporal, its UI, the emulator's control API) may face the network by default.
    for (const [name, s] of Object.entries(services)) {
      for (const entry of s.ports ?? []) {
        expect(typeof entry === 'string' && entry.startsWith('127.0.0.1:'), `${name} publishes '${JSON.stringify(entry)}' beyond 127.0.0.1`).toBe(true);
      }
    }
    // serve binds 127.0.0.1 by default, which inside a container is unreachable through the published port.
    const command = commandOf(services['starwave-api']!);
    expect(command.slice(command.indexOf('--host'), command.indexOf('--host') + 2)).toEqual(['--host', '0.0.0.0']);
  });

  it('builds the starwave services from this repo with a Dockerfile', () => {
    expect(starwaveServices.map(([name]) => name).sort()).toEqual(['starwave-api', 'starwave-emulator', 'starwave-worker']);
    for (const [name, service] of starwaveServices) {
      const build = typeof service.build === 'string' ? { context: service.build } : service.build;
      expect(build, `${name} build`).toBeDefined();
      const dockerfile = join(root, build?.context ?? '.', build?.dockerfile ?? 'Dockerfile');
      expect(existsSync(dockerfile), `${name}: ${dockerfile}`).toBe(true);
    }
  });

  it("runs package.json's bin script with subcommands the CLI has", () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    const binScript = pkg.bin['starwave']!.replace(/^\.\//, '');
    expect(existsSync(join(root, binScript))).toBe(true);

    const help = execFileSync(process.execPath, [join(root, binScript), '--help'], { encoding: 'utf8', cwd: root });
    const commandsSection = help.split(/^Commands:$/m)[1] ?? '';
    const registered = new Set([...commandsSection.matchAll(/^ {2}([a-z][\w-]*)/gm)].map((m) => m[1]!));

    const used = new Set<string>();
    for (const [name, service] of starwaveServices) {
      const [node, script, subcommand] = commandOf(service);
      expect(node).toBe('node');
      expect(script, `${name} runs the bin script`).toBe(binScript);
      expect(subcommand, `${name} subcommand`).toBeDefined();
      used.add(subcommand!);
      if (!PENDING_SUBCOMMANDS.has(subcommand!)) expect([...registered], `${name}: starwave ${subcommand}`).toContain(subcommand);
    }
    for (const pending of PENDING_SUBCOMMANDS) expect(used, `stale PENDING_SUBCOMMANDS entry ${pending}`).toContain(pending);
  });

  it('passes secrets through from the environment instead of writing them down', () => {
    const secretName = /SECRET|PASSWORD|PWD|TOKEN|ACCESS_KEY/;
    for (const [name, service] of Object.entries(services)) {
      for (const [key, value] of Object.entries(env(service))) {
        if (!secretName.test(key)) continue;
        // null = plain pass-through of the host variable; otherwise only a ${VAR} reference.
        if (value !== null) expect(value, `${name}.${key}`).toMatch(/^\$\{[A-Z0-9_]+(:-[^}]*)?\}$/);
        if (/ALIBABA|TOKEN/.test(key)) expect(value, `${name}.${key} must not default to anything`).toBeNull();
      }
    }
    expect(composeText).not.toMatch(/LTAI[0-9A-Za-z]{12,}/);
    expect(env(services['starwave-worker']!)).toHaveProperty('ALIBABA_CLOUD_ACCESS_KEY_ID', null);
    expect(env(services['starwave-worker']!)).toHaveProperty('ALIBABA_CLOUD_ACCESS_KEY_SECRET', null);
    expect(env(services['starwave-api']!)).toHaveProperty('STARWAVE_API_TOKEN', null);
  });

  it('builds the image from the packed tarball: npm ci, npm run build, npm pack, then an install of that tarball only', () => {
    const stages = dockerStages(readFileSync(join(root, 'Dockerfile'), 'utf8'));
    expect(stages.length, 'a multi-stage build').toBeGreaterThanOrEqual(2);
    const [build, final] = [stages[0]!, stages.at(-1)!];
    const runs = (stage: DockerStage): string => stage.instructions.filter((i) => i.op === 'RUN').map((i) => i.args).join(' && ');
    expect(runs(build)).toMatch(/npm ci\b/);
    expect(runs(build)).toMatch(/npm run build\b/);
    expect(runs(build)).toMatch(/npm pack\b/);
    expect(runs(final)).toMatch(/npm install --omit=dev .*\.tgz/);
    expect(runs(final)).not.toMatch(/npm ci|npm run build|tsx/);
    const copies = final.instructions.filter((i) => i.op === 'COPY').map((i) => i.args);
    expect(copies.every((args) => args.startsWith(`--from=${build.name}`)), `final stage copies only from ${build.name}: ${copies.join('; ')}`).toBe(true);
    // compose runs `node bin/starwave.js …` relative to the image's working folder: the installed package.
    const workdir = final.instructions.filter((i) => i.op === 'WORKDIR').at(-1)?.args ?? '';
    expect(workdir).toMatch(/\/node_modules\/starwave$/);
    expect(final.instructions.some((i) => i.op === 'USER' && i.args !== 'root')).toBe(true);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { files: string[]; bin: Record<string, string> };
    expect(pkg.files).toEqual(expect.arrayContaining(['dist/', 'bin/']));
    expect(pkg.bin['starwave']).toBe('bin/starwave.js');
  });

  it('keeps local build output and caches out of the build context', () => {
    const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const entry of ['node_modules', 'dist', '.temporal', '.data', '.git']) expect(ignored, entry).toContain(entry);
  });
});
