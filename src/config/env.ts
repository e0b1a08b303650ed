/**
 * Every environment setting starwave reads, in one place: a zod schema with a description and a
 * default per variable, a pure `parseEnv` that returns every problem by variable name, and
 * `loadEnv()` which reads `process.env` once per process and fails fast listing all problems.
 *
 * Nothing else in `src/` reads `process.env` (the lint rule `env-in-config` holds that line). The
 * Alibaba Cloud credential chain (`ALIBABA_CLOUD_*`) and Temporal's connection settings
 * (`TEMPORAL_*`) are read here too and handed to @alicloud/credentials and @temporalio/envconfig.
 */
import { z } from 'zod';
import { StarwaveError, type Problem } from '../contracts/errors';

/** Default task queue of starwave's workers. */
export const DEFAULT_TASK_QUEUE = 'starwave';
/** Default V8 old-space limit of `starwave worker`, MiB. */
export const DEFAULT_WORKER_HEAP_MB = 160;
/** `starwave worker`'s V8 semi-space limit, MiB (bin/starwave.js sets it; docs/footprint.md has what it saves and costs). */
export const DEFAULT_WORKER_SEMI_SPACE_MB = 8;

const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

const optionalText = z
  .string()
  .transform((v) => v.trim())
  .optional()
  .transform((v) => (v === undefined || v === '' ? undefined : v));

/** A positive integer given as text. */
const positiveInt = (what: string) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `must be a whole number (${what})`)
    .transform(Number)
    .refine((n) => n > 0, `must be at least 1 (${what})`);

const hostPort = z
  .string()
  .trim()
  .regex(/^[^\s:/]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/, 'must be host:port, e.g. 0.0.0.0:9464');

/**
 * The schema of starwave's own variables. Each value arrives as text (or undefined); the
 * transforms turn it into the typed setting. Structured values (JSON maps) stay text here and are
 * parsed by the module that owns their meaning (endpoints, rate limits), which reports by name.
 */
export const STARWAVE_ENV = {
  STARWAVE_TASK_QUEUE: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9._:/-]{1,200}$/, 'must be 1-200 characters of letters, digits, ".", "_", ":", "/" or "-"')
    .optional()
    .describe(`Temporal task queue of starwave's workers (default "${DEFAULT_TASK_QUEUE}").`),
  STARWAVE_ENDPOINTS: optionalText.describe(
    'JSON map region → base URL for non-cloud StarRocks endpoints (the emulator), e.g. {"cn-hangzhou":"http://127.0.0.1:18080"}. Unset against the real cloud.',
  ),
  STARWAVE_REGION_QPS: optionalText.describe('Client-side requests per second per region: a number, or JSON {"cn-hangzhou":20,"*":10}.'),
  STARWAVE_WORKFLOW_BUNDLE: optionalText.describe('Path of a prebuilt workflow bundle; default: the bundle built by `npm run build`, else bundled at start.'),
  STARWAVE_LOG_LEVEL: z
    .string()
    .trim()
    .transform((v) => v.toUpperCase())
    .pipe(z.enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` }))
    .optional()
    .describe('Worker log level (default INFO).'),
  STARWAVE_METRICS_ADDRESS: hostPort.optional().describe('host:port where the worker serves Prometheus metrics, e.g. 0.0.0.0:9464.'),
  STARWAVE_API_TOKEN: optionalText.describe('Bearer token the HTTP API requires (secret).'),
  STARWAVE_WORKER_HEAP_MB: z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number of MiB (0 keeps Node’s default)')
    .transform(Number)
    .optional()
    .describe(`V8 old-space limit of \`starwave worker\` in MiB (default ${DEFAULT_WORKER_HEAP_MB}; 0 keeps Node's default).`),
  STARWAVE_WORKER_SEMI_SPACE_MB: z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number of MiB (0 keeps Node’s default)')
    .transform(Number)
    .optional()
    .describe(`V8 semi-space (young generation) limit of \`starwave worker\` in MiB (default ${DEFAULT_WORKER_SEMI_SPACE_MB}; 0 keeps Node's default, 16 on 64-bit). Set by the launcher, with MALLOC_ARENA_MAX=2 unless MALLOC_ARENA_MAX is set.`),
  STARWAVE_WORKER_OPTIMIZE_FOR_SIZE: z
    .enum(['0', '1'], { message: 'must be 1 (default) or 0' })
    .optional()
    .describe('0 runs `starwave worker` without V8\'s --optimize-for-size, which the launcher sets by default (less memory, docs/footprint.md).'),
  STARWAVE_WORKER_SHUTDOWN_SECONDS: positiveInt('seconds').optional().describe('How long `starwave worker` may drain after SIGTERM/SIGINT before it exits (default 30).'),
  STARWAVE_EMULATOR_KEYS: optionalText.describe('Emulator only: JSON array of accepted key pairs (secret).'),
  STARWAVE_PROBE_TOKEN: optionalText.describe('StarRocks cluster token for FE /api/bootstrap?token= (proof of restart); one token for every instance (secret).'),
  STARWAVE_PROBE_TOKENS_FILE: optionalText.describe('File with a JSON map instance id → cluster token, for fleets whose clusters have their own tokens.'),
  STARWAVE_PROBE_USER: optionalText.describe('HTTP Basic user for StarRocks FE/BE HTTP endpoints when enable_http_auth is set.'),
  STARWAVE_PROBE_PASSWORD: optionalText.describe('HTTP Basic password for StarRocks FE/BE HTTP endpoints (secret).'),
  STARWAVE_WEBHOOK_SECRET: optionalText.describe('HMAC-SHA256 key that signs generic webhook notifications (secret).'),
  STARWAVE_NOTIFY_URLS: optionalText.describe('JSON array of notification receivers: [{"kind":"webhook"|"slack"|"dingtalk","url":"…"}] (URLs are secrets).'),
  STARWAVE_APPROVE_LINK_SECRET: optionalText.describe('Key that signs expiring approve links served by `starwave serve` (secret).'),
  STARWAVE_DASHBOARD_URL: optionalText.describe('Public base URL of `starwave serve`, used in notification links, e.g. https://starwave.example.com.'),
  STARWAVE_MAX_CACHED_WORKFLOWS: positiveInt('workflows kept in the worker’s sticky cache').optional().describe('Workflows the worker keeps cached (default: the SDK’s, bounded by memory).'),
  TEMPORAL_CLI_PATH: optionalText.describe('Path of a Temporal CLI to use instead of finding or building one.'),
  XDG_CACHE_HOME: optionalText.describe('Base of the per-user cache an installed package keeps its Temporal binaries in (default ~/.cache).'),
} as const;

/** Variables that hold secrets: never printed, logged or echoed in a problem. */
export const SECRET_VARIABLES: ReadonlySet<string> = new Set([
  'STARWAVE_API_TOKEN',
  'STARWAVE_EMULATOR_KEYS',
  'STARWAVE_PROBE_TOKEN',
  'STARWAVE_PROBE_PASSWORD',
  'STARWAVE_WEBHOOK_SECRET',
  'STARWAVE_NOTIFY_URLS',
  'STARWAVE_APPROVE_LINK_SECRET',
  'ALIBABA_CLOUD_ACCESS_KEY_SECRET',
  'ALIBABA_CLOUD_SECURITY_TOKEN',
  'TEMPORAL_API_KEY',
]);

/** Variables of the Alibaba Cloud credential chain (spec §7), passed to @alicloud/credentials as they are. */
export const CREDENTIAL_VARIABLES = [
  'ALIBABA_CLOUD_ACCESS_KEY_ID',
  'ALIBABA_CLOUD_ACCESS_KEY_SECRET',
  'ALIBABA_CLOUD_SECURITY_TOKEN',
  'ALIBABA_CLOUD_PROFILE',
  'ALIBABA_CLOUD_CLI_PROFILE_DISABLED',
  'ALIBABA_CLOUD_CREDENTIALS_FILE',
  'ALIBABA_CLOUD_ROLE_ARN',
  'ALIBABA_CLOUD_OIDC_PROVIDER_ARN',
  'ALIBABA_CLOUD_OIDC_TOKEN_FILE',
  'ALIBABA_CLOUD_ROLE_SESSION_NAME',
  'ALIBABA_CLOUD_STS_REGION',
  'ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED',
  'ALIBABA_CLOUD_ECS_METADATA',
  'ALIBABA_CLOUD_ECS_METADATA_DISABLED',
  'ALIBABA_CLOUD_IMDSV1_DISABLED',
  'ALIBABA_CLOUD_CREDENTIALS_URI',
  'ALIBABA_CLOUD_USER_AGENT',
] as const;

/** Temporal's own connection variables (read by @temporalio/envconfig from what we hand it). */
export const TEMPORAL_VARIABLE_PREFIX = 'TEMPORAL_';

type StarwaveEnvSchema = typeof STARWAVE_ENV;
type Parsed = { [K in keyof StarwaveEnvSchema]: z.output<StarwaveEnvSchema[K]> };

export interface StarwaveEnv {
  taskQueue: string;
  /** Raw JSON text of STARWAVE_ENDPOINTS (parsed by starrocks/endpoints, which names the variable). */
  endpointsJson: string | undefined;
  regionQpsText: string | undefined;
  workflowBundlePath: string | undefined;
  logLevel: LogLevelName;
  metricsAddress: string | undefined;
  apiToken: string | undefined;
  workerHeapMb: number;
  /** Drain deadline of `starwave worker` after SIGTERM/SIGINT, seconds (undefined: the worker's default). */
  workerShutdownSeconds: number | undefined;
  emulatorKeysJson: string | undefined;
  probe: { token: string | undefined; tokensFile: string | undefined; user: string | undefined; password: string | undefined };
  notify: { webhookSecret: string | undefined; receiversJson: string | undefined; approveLinkSecret: string | undefined; dashboardUrl: string | undefined };
  maxCachedWorkflows: number | undefined;
  temporalCliPath: string | undefined;
  xdgCacheHome: string | undefined;
  /** `TEMPORAL_*` variables as given, for @temporalio/envconfig. */
  temporal: Record<string, string>;
  /** `ALIBABA_CLOUD_*` variables as given, for @alicloud/credentials and for redaction. */
  credentials: Partial<Record<(typeof CREDENTIAL_VARIABLES)[number], string>>;
  /** Names of the credential variables that are set (never their values). */
  credentialSourcesSet: string[];
  /** Every secret value present, for redaction from anything echoed back. */
  secrets: string[];
}

export type EnvResult = { ok: true; env: StarwaveEnv } | { ok: false; problems: Problem[] };

/** Pure: validates an environment map and returns every problem by variable name (never throws). */
export function parseEnv(source: Readonly<Record<string, string | undefined>>): EnvResult {
  const problems: Problem[] = [];
  const parsed: Partial<Parsed> = {};
  for (const [name, schema] of Object.entries(STARWAVE_ENV) as Array<[keyof StarwaveEnvSchema, z.ZodType]>) {
    const raw = source[name];
    const result = schema.safeParse(raw === undefined || raw.trim() === '' ? undefined : raw);
    if (result.success) (parsed as Record<string, unknown>)[name] = result.data;
    else {
      const shown = SECRET_VARIABLES.has(name) ? '' : ` (got "${String(raw).slice(0, 60)}")`;
      problems.push({ path: name, message: `${result.error.issues[0]?.message ?? 'invalid value'}${shown}` });
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  const p = parsed as Parsed;
  const temporal: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) {
    if (name.startsWith(TEMPORAL_VARIABLE_PREFIX) && name !== 'TEMPORAL_CLI_PATH' && value !== undefined) temporal[name] = value;
  }
  const credentials: StarwaveEnv['credentials'] = {};
  for (const name of CREDENTIAL_VARIABLES) {
    const value = source[name];
    if (value !== undefined && value !== '') credentials[name] = value;
  }
  const secrets = [...SECRET_VARIABLES].map((name) => source[name]).filter((v): v is string => typeof v === 'string' && v.length >= 4);
  return {
    ok: true,
    env: {
      taskQueue: p.STARWAVE_TASK_QUEUE ?? DEFAULT_TASK_QUEUE,
      endpointsJson: p.STARWAVE_ENDPOINTS,
      regionQpsText: p.STARWAVE_REGION_QPS,
      workflowBundlePath: p.STARWAVE_WORKFLOW_BUNDLE,
      logLevel: p.STARWAVE_LOG_LEVEL ?? 'INFO',
      metricsAddress: p.STARWAVE_METRICS_ADDRESS,
      apiToken: p.STARWAVE_API_TOKEN,
      workerHeapMb: p.STARWAVE_WORKER_HEAP_MB ?? DEFAULT_WORKER_HEAP_MB,
      workerShutdownSeconds: p.STARWAVE_WORKER_SHUTDOWN_SECONDS,
      emulatorKeysJson: p.STARWAVE_EMULATOR_KEYS,
      probe: { token: p.STARWAVE_PROBE_TOKEN, tokensFile: p.STARWAVE_PROBE_TOKENS_FILE, user: p.STARWAVE_PROBE_USER, password: p.STARWAVE_PROBE_PASSWORD },
      notify: {
        webhookSecret: p.STARWAVE_WEBHOOK_SECRET,
        receiversJson: p.STARWAVE_NOTIFY_URLS,
        approveLinkSecret: p.STARWAVE_APPROVE_LINK_SECRET,
        dashboardUrl: p.STARWAVE_DASHBOARD_URL,
      },
      maxCachedWorkflows: p.STARWAVE_MAX_CACHED_WORKFLOWS,
      temporalCliPath: p.TEMPORAL_CLI_PATH,
      xdgCacheHome: p.XDG_CACHE_HOME,
      temporal,
      credentials,
      credentialSourcesSet: Object.keys(credentials),
      secrets,
    },
  };
}

export class ConfigError extends StarwaveError {
  override readonly name = 'ConfigError';
  constructor(problems: Problem[]) {
    super(
      'ERR_CONFIG_INVALID',
      `The environment is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems
        .map((p) => `  - ${p.path}: ${p.message}`)
        .join('\n')}\nFix or unset these variables; nothing was started.`,
      { problems },
    );
  }
}

let cached: StarwaveEnv | undefined;

/**
 * The process's settings, read from `process.env` once. Throws ConfigError listing every problem.
 * Pass `source` (tests) to read another map without touching the cache.
 */
export function loadEnv(source?: Readonly<Record<string, string | undefined>>): StarwaveEnv {
  if (source === undefined && cached) return cached;
  // lint-allow env-in-config: this module is the one place that reads the process environment
  const result = parseEnv(source ?? process.env);
  if (!result.ok) throw new ConfigError(result.problems);
  if (source === undefined) cached = result.env;
  return result.env;
}

/** Forgets the cached settings (tests that change process.env between cases). */
export function resetEnvCache(): void {
  cached = undefined;
}

/** Rows for `starwave config` / docs: every variable, its description, and whether it is secret. */
export function describeEnv(): Array<{ name: string; description: string; secret: boolean }> {
  return Object.entries(STARWAVE_ENV).map(([name, schema]) => ({
    name,
    description: (schema as z.ZodType).description ?? '',
    secret: SECRET_VARIABLES.has(name),
  }));
}
