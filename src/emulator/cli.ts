/**
 * `starwave emulator`: runs the StarRocks OpenAPI emulator in the foreground until Ctrl-C.
 * Flag parsing is pure (`parseEmulatorFlags`) so it can be tested without starting anything.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { z } from 'zod';
import { ConfigError, loadEnv } from '../config/env';
import { startEmulator, type Emulator } from './index';
import { durationDistributionSchema, faultConfigSchema, formatProblems, validate, type DurationDistribution, type FaultConfig } from './schemas';
import { DEFAULT_KEY, type EmulatorKey, type EmulatorOptions } from './types';

export interface EmulatorFlags {
  regions?: string;
  instances?: string;
  port?: string;
  seed?: string;
  duration?: string;
  faults?: string;
  maxPageSize?: string;
  /** Past restart_cluster operations per instance (for starwave's duration estimates). */
  history?: string;
  /** Listen address (default 127.0.0.1; 0.0.0.0 inside a container). */
  host?: string;
  /** Data-plane FE HTTP port on every instance address (default random). */
  fePort?: string;
  /** Data-plane BE/CN HTTP port on every instance address (default random). */
  bePort?: string;
  /** ms after an engine came up until FE /api/bootstrap is ready. */
  feReadyDelay?: string;
  /** ms after an engine came up until its backends are online. */
  backendsOnlineDelay?: string;
}

/** A bad flag: the message is one sentence naming the flag. */
export class EmulatorFlagError extends Error {
  readonly code = 'EMULATOR_BAD_FLAG';
  constructor(message: string) {
    super(message);
    this.name = 'EmulatorFlagError';
  }
}

const keysSchema = z
  .array(
    z
      .object({
        accessKeyId: z.string().min(1),
        accessKeySecret: z.string().min(1),
        securityToken: z.string().optional(),
        deniedActions: z.array(z.string()).optional(),
        denyStyle: z.enum(['gateway', 'service']).optional(),
      })
      .strict(),
  )
  .min(1);

function integer(flag: string, raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < min || Number(raw) > max) {
    throw new EmulatorFlagError(`${flag} must be an integer between ${min} and ${max}, got "${raw}".`);
  }
  return Number(raw);
}

/** `fixed:ms` | `uniform:min-max` | `lognormal:median,sigma`. */
export function parseDuration(raw: string): DurationDistribution {
  const [kind, spec = ''] = raw.split(':', 2);
  let candidate: unknown;
  if (kind === 'fixed') candidate = { kind, ms: Number(spec) };
  else if (kind === 'uniform') {
    const [min, max] = spec.split('-');
    candidate = { kind, minMs: Number(min), maxMs: Number(max) };
  } else if (kind === 'lognormal') {
    const [median, sigma] = spec.split(',');
    candidate = { kind, medianMs: Number(median), sigma: Number(sigma) };
  } else {
    throw new EmulatorFlagError(`--duration must be fixed:<ms>, uniform:<min>-<max> or lognormal:<median>,<sigma>, got "${raw}".`);
  }
  const result = validate(durationDistributionSchema, candidate);
  if (!result.ok) throw new EmulatorFlagError(`--duration "${raw}" is invalid (${formatProblems(result.problems)}).`);
  return result.value;
}

export function parseFaults(raw: string, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): FaultConfig {
  let text = raw;
  if (raw.startsWith('@')) {
    try {
      text = readFile(raw.slice(1));
    } catch (error) {
      throw new EmulatorFlagError(`--faults file ${raw.slice(1)} cannot be read (${error instanceof Error ? error.message : String(error)}).`);
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new EmulatorFlagError(`--faults must be JSON or @file with JSON, and "${raw.slice(0, 60)}" is not valid JSON.`);
  }
  const result = validate(faultConfigSchema, json);
  if (!result.ok) throw new EmulatorFlagError(`--faults is invalid: ${formatProblems(result.problems)}.`);
  return result.value;
}

export function parseKeysEnv(raw: string | undefined): EmulatorKey[] | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new EmulatorFlagError('STARWAVE_EMULATOR_KEYS must be a JSON array of {accessKeyId, accessKeySecret, securityToken?, deniedActions?}.');
  }
  const result = validate(keysSchema, json);
  if (!result.ok) throw new EmulatorFlagError(`STARWAVE_EMULATOR_KEYS is invalid: ${formatProblems(result.problems)}.`);
  return result.value;
}

/**
 * Pure given `env`: flags (+ the environment's STARWAVE_EMULATOR_KEYS, read through loadEnv) →
 * start options. Throws EmulatorFlagError naming the bad flag, ConfigError for a bad environment.
 * `env` (tests) is read instead of the process environment.
 */
export function parseEmulatorFlags(flags: EmulatorFlags, env?: Readonly<Record<string, string | undefined>>): EmulatorOptions {
  const regions = (flags.regions ?? 'cn-hangzhou')
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  const bad = regions.find((r) => !/^[a-z]{2,}(?:-[a-z0-9]+)+$/.test(r));
  if (regions.length === 0 || bad !== undefined) {
    throw new EmulatorFlagError(`--regions must be a comma-separated list of region ids such as cn-hangzhou,cn-shanghai, got "${flags.regions ?? ''}".`);
  }
  const perRegion = integer('--instances', flags.instances ?? '20', 0, 100_000);
  const basePort = integer('--port', flags.port ?? '18080', 0, 65_535 - regions.length);
  const seed = flags.seed === undefined ? 1 : integer('--seed', flags.seed, 0, 2 ** 31 - 1);
  const history = flags.history === undefined ? 0 : integer('--history', flags.history, 0, 1_000);
  const keys = parseKeysEnv((env === undefined ? loadEnv() : loadEnv(env)).emulatorKeysJson);
  if (flags.host !== undefined && !/^[\w.:-]+$/.test(flags.host)) {
    throw new EmulatorFlagError(`--host must be an address such as 127.0.0.1 or 0.0.0.0, got "${flags.host}".`);
  }
  const dataPlane = {
    ...(flags.fePort !== undefined ? { fePort: integer('--fe-port', flags.fePort, 0, 65_535) } : {}),
    ...(flags.bePort !== undefined ? { bePort: integer('--be-port', flags.bePort, 0, 65_535) } : {}),
    ...(flags.feReadyDelay !== undefined ? { feReadyDelayMs: integer('--fe-ready-delay', flags.feReadyDelay, 0, 3_600_000) } : {}),
    ...(flags.backendsOnlineDelay !== undefined ? { backendsOnlineDelayMs: integer('--backends-online-delay', flags.backendsOnlineDelay, 0, 3_600_000) } : {}),
  };
  if (dataPlane.fePort !== undefined && dataPlane.fePort !== 0 && dataPlane.fePort === dataPlane.bePort) {
    throw new EmulatorFlagError(`--fe-port and --be-port must differ, both are ${dataPlane.fePort}.`);
  }
  return {
    regions,
    basePort,
    dataPlane,
    ...(flags.host ? { host: flags.host } : {}),
    seed,
    fleet: { generate: { regions, perRegion }, ...(history > 0 ? { restartHistory: { perInstance: history } } : {}) },
    ...(flags.duration ? { restartDuration: parseDuration(flags.duration) } : {}),
    ...(flags.faults ? { faults: parseFaults(flags.faults) } : {}),
    ...(flags.maxPageSize ? { maxPageSize: integer('--max-page-size', flags.maxPageSize, 1, 100_000) } : {}),
    ...(keys ? { keys } : {}),
  };
}

/** The banner printed at start: URLs, STARWAVE_ENDPOINTS, the (fake) key to use, and a control-API example. */
export function describeEmulator(emulator: Emulator, instanceCount: number): string {
  const width = Math.max(6, ...Object.keys(emulator.endpoints).map((r) => r.length));
  const rows = Object.entries(emulator.endpoints).map(([region, url]) => `  ${region.padEnd(width)}  ${url}`);
  const key = emulator.keys[0]!;
  const isDefaultKey = key.accessKeyId === DEFAULT_KEY.accessKeyId && key.accessKeySecret === DEFAULT_KEY.accessKeySecret;
  return [
    `StarRocks OpenAPI emulator: ${instanceCount} instance(s) in ${Object.keys(emulator.endpoints).length} region(s).`,
    '',
    `  ${'region'.padEnd(width)}  base URL`,
    ...rows,
    '',
    'Point starwave at it:',
    `  export STARWAVE_ENDPOINTS='${emulator.endpointsJson()}'`,
    `  export ALIBABA_CLOUD_ACCESS_KEY_ID=${key.accessKeyId}`,
    isDefaultKey
      ? `  export ALIBABA_CLOUD_ACCESS_KEY_SECRET=${key.accessKeySecret}   # the emulator's built-in FAKE test key, not a real credential`
      : '  # secret: the one you configured in STARWAVE_EMULATOR_KEYS (not printed)',
    '',
    ...(emulator.dataPlane
      ? [
          'StarRocks data plane (each instance on its own 127.x.y.z address, loopback only; see DescribeNodeGroups Endpoint):',
          `  FE HTTP port ${emulator.dataPlane.fePort}, BE/CN HTTP port ${emulator.dataPlane.bePort}`,
          ...(emulator.instances()[0] ? [`  curl -s ${emulator.dataPlaneOf(emulator.instances()[0]!.instanceId).feUrl}/api/health`] : []),
          '',
        ]
      : []),
    'Control API (unsigned JSON, on every port):',
    `  curl -s ${emulator.controlUrl}/_emulator/health`,
    `  curl -s -X PATCH ${emulator.controlUrl}/_emulator/faults -H 'content-type: application/json' -d '{"throttling":{"rate":0.2}}'`,
    `  curl -s '${emulator.controlUrl}/_emulator/record?since=0'`,
    '',
    'Ctrl-C stops it.',
    '',
  ].join('\n');
}

/** Starts the emulator from flags, prints the banner, and resolves when it has been closed by SIGINT/SIGTERM. */
export async function runEmulator(flags: EmulatorFlags, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  const options = parseEmulatorFlags(flags);
  const emulator = await startEmulator(options);
  out.write(describeEmulator(emulator, emulator.instances().length));
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      out.write('\nStopping the emulator.\n');
      void emulator.close().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

function exitForBadInput(error: unknown): never {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
}

/** Adds `emulator` to a commander program. Bad flags print one sentence and exit with code 2. */
export function registerEmulatorCommand(program: Command): Command {
  const command = program
    .command('emulator')
    .description('Run the local StarRocks OpenAPI emulator (one port per region) until Ctrl-C')
    .option('--regions <list>', 'comma-separated region ids', 'cn-hangzhou')
    .option('--instances <n>', 'instances per region', '20')
    .option('--port <basePort>', 'first port; region i listens on basePort+i (0 = random)', '18080')
    .option('--seed <n>', 'PRNG seed for ids, durations and faults', '1')
    .option('--duration <spec>', 'restart duration: fixed:<ms> | uniform:<min>-<max> | lognormal:<median>,<sigma>')
    .option('--faults <json|@file>', 'initial faults as JSON text or @path to a JSON file')
    .option('--history <n>', 'past restarts per instance in ListOperationHistory, one a day, each as long as its own restart time with noise (0 = none)', '0')
    .option('--max-page-size <n>', 'PageSize cap of DescribeInstances, DescribeNodeGroups and ListOperationHistory', '100')
    .option('--host <address>', 'listen address (0.0.0.0 to serve other containers; it has no authentication beyond the fake keys)', '127.0.0.1')
    .option('--fe-port <n>', 'data plane: FE HTTP port on every instance address (0 = random)', '0')
    .option('--be-port <n>', 'data plane: BE/CN HTTP port on every instance address (0 = random)', '0')
    .option('--fe-ready-delay <ms>', 'data plane: FE /api/bootstrap not ready for this long after the engine came up')
    .option('--backends-online-delay <ms>', 'data plane: backends offline for this long after the engine came up')
    .exitOverride((error: CommanderError) => {
      if (error.exitCode === 0) process.exit(0);
      // commander has already printed its one-line message (e.g. "error: unknown option '--x'").
      process.exit(2);
    })
    .action(async (flags: EmulatorFlags) => {
      try {
        await runEmulator(flags);
      } catch (error) {
        if (error instanceof EmulatorFlagError || error instanceof ConfigError) exitForBadInput(error);
        if (error instanceof Error && 'code' in error && error.code === 'EADDRINUSE') {
          exitForBadInput(new Error(`--port ${flags.port ?? '18080'} is already in use; pick another base port or 0 for random ports.`));
        }
        throw error;
      }
    });
  return command;
}
