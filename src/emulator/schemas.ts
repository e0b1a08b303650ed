/**
 * Shapes of everything the emulator accepts from outside (start options that are plain data,
 * control-API bodies, the CLI's `--faults` JSON), as zod schemas. The exported TypeScript types
 * are inferred from them so the in-process API and the control API cannot drift apart.
 *
 * Validation is pure: `validate*` returns the parsed value or every problem with its path.
 */
import { z } from 'zod';

/** Wire values of `InstanceStatus` (lowercase snake_case), spec §3.2. Kept here so the emulator does not depend on the client. */
export const WIRE_INSTANCE_STATUSES = [
  'running',
  'restarting',
  'not_init',
  'unpaid',
  'paid',
  'creating',
  'created',
  'creating_failed',
  'updating',
  'upgrading',
  'modifying_config',
  'modifying_timezone',
  'scaling_out',
  'scaling_in',
  'scaling_up',
  'scaling_down',
  'enable_public_network',
  'disable_public_network',
  'convert_from_trial_to_official',
  'migration_cluster_to_serverless',
  'switch_az',
  'agent_creating',
  'agent_scaling_up',
  'enabling',
  'disable',
  'actively_disabled',
  'deleting',
  'deleting_failed',
  'deleted_with_error',
  'deleted',
] as const;
export type WireInstanceStatus = (typeof WIRE_INSTANCE_STATUSES)[number];

/** Cloud API actions the emulator serves. */
export const ACTIONS = [
  'RestartInstance',
  'DescribeInstances',
  'RestartNodeGroup',
  'DescribeNodeGroups',
  'ListOperationHistory',
  'ListOperationActivity',
  'DescribeRegions',
] as const;
export type EmulatorAction = (typeof ACTIONS)[number];

const probability = z.number().min(0).max(1);
/** One year: enough for any clock-skew scenario, and keeps the gateway's clock a valid date. */
const MAX_CLOCK_SKEW_MS = 365 * 86_400_000;
const nonNegativeMs = z.number().int().min(0);
const stringList = z.array(z.string().min(1));

/**
 * `HH:MM-HH:MM` (spec §3.2, §11): the instance's maintenance window in the region's local time,
 * e.g. `00:00-06:00` or `03:00-04:00`; it may wrap midnight (`22:00-02:00`), must not be empty.
 */
export const maintainablePeriodSchema = z
  .string()
  // abort: a malformed value gets one problem, not also "start and end must differ".
  .regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/, { error: 'must be HH:MM-HH:MM with hours 00-23, e.g. 00:00-06:00', abort: true })
  .refine((v) => v.slice(0, 5) !== v.slice(6), 'start and end must differ');

export const tagSchema = z.object({ Key: z.string(), Value: z.string() }).strict();
export type Tag = z.infer<typeof tagSchema>;

export const durationDistributionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('fixed'), ms: nonNegativeMs }).strict(),
  z
    .object({ kind: z.literal('uniform'), minMs: nonNegativeMs, maxMs: nonNegativeMs })
    .strict()
    .refine((d) => d.maxMs >= d.minMs, { message: 'maxMs must be >= minMs', path: ['maxMs'] }),
  z.object({ kind: z.literal('lognormal'), medianMs: z.number().positive(), sigma: z.number().min(0).max(5) }).strict(),
]);
/** How long a restart stays in `restarting`. Drawn from the emulator's seeded PRNG. */
export type DurationDistribution = z.infer<typeof durationDistributionSchema>;

/** Per-instance behaviour overrides (seed or `PATCH /_emulator/instances/:id`). */
export const instanceBehaviourSchema = z
  .object({
    /** Fixed restart duration for this instance (ms), overriding the distribution (FastMode still applies). */
    restartDurationMs: nonNegativeMs.optional(),
    /** The next restarts never finish: the instance stays `restarting` forever. */
    stuck: z.boolean().optional(),
    /**
     * The next restarts end in a failure status instead of `running`. `true` → `creating_failed`
     * (the real post-failure status is undocumented; see README in this folder), or the status to use.
     */
    failRestart: z.union([z.boolean(), z.enum(WIRE_INSTANCE_STATUSES)]).optional(),
    /** Busy for N ms from now (seed/patch time) in its current non-running status, then `running` (cause `settle`). */
    settleAfterMs: nonNegativeMs.optional(),
    /** Same as settleAfterMs but an absolute epoch-ms instant. */
    busyUntilMs: nonNegativeMs.optional(),
  })
  .strict();
export type InstanceBehaviour = z.infer<typeof instanceBehaviourSchema>;

export const instanceSeedSchema = instanceBehaviourSchema
  .extend({
    /** `c-` + 16 hex; generated deterministically from the seed when absent. */
    instanceId: z.string().regex(/^c-[0-9a-z]{4,32}$/, 'instanceId must look like c-<hex>').optional(),
    instanceName: z.string().min(1).optional(),
    regionId: z.string().min(1),
    resourceGroupId: z.string().min(1).optional(),
    tags: z.array(tagSchema).optional(),
    /** Initial status (default `running`, or `updating` when settleAfterMs/busyUntilMs is given). */
    status: z.enum(WIRE_INSTANCE_STATUSES).optional(),
    version: z.string().optional(),
    minorVersion: z.string().optional(),
    runMode: z.enum(['shared_nothing', 'shared_data', 'lakehouse']).optional(),
    packageType: z.enum(['official', 'trial']).optional(),
    payType: z.enum(['prePaid', 'postPaid']).optional(),
    architecture: z.enum(['onEci', 'onECS', 'onBareMetal']).optional(),
    maintainablePeriod: maintainablePeriodSchema.optional(),
  })
  .strict();
export type InstanceSeed = z.infer<typeof instanceSeedSchema>;

export const fleetGeneratorSchema = z
  .object({
    regions: z.array(z.string().min(1)).min(1),
    perRegion: z.number().int().min(0).max(100_000),
    /** Instance names are `<namePrefix><region>-<NNN>` (default prefix `sr-`). */
    namePrefix: z.string().optional(),
    /** Tags put on every generated instance (each also gets `starwave-index` = its index in its region). */
    tags: z.array(tagSchema).optional(),
    resourceGroupId: z.string().optional(),
  })
  .strict();
export type FleetGenerator = z.infer<typeof fleetGeneratorSchema>;

export const fleetSeedSchema = z
  .object({
    /** Explicit instances (kept in this order, before generated ones). */
    instances: z.array(instanceSeedSchema).optional(),
    generate: fleetGeneratorSchema.optional(),
    /** PRNG seed for ids, durations and fault draws (default: the emulator's seed). */
    seed: z.number().int().optional(),
    /** Replaces the restart-duration distribution. */
    restartDuration: durationDistributionSchema.optional(),
    /** FastMode multiplies the drawn duration by this (default 0.5). */
    fastModeFactor: z.number().min(0).max(10).optional(),
    /**
     * Each instance draws its own restart median from `restartDuration` once (at seed time); a
     * restart then takes that median × exp(noiseSigma · N(0,1)) (FastMode still applies). An
     * instance's fixed `restartDurationMs` is its median, without noise. Implied by restartHistory.
     */
    perInstanceRestartDuration: z
      .object({
        /** Spread of one instance's restarts around its median (lognormal sigma, default 0.1). */
        noiseSigma: z.number().min(0).max(2).optional(),
      })
      .strict()
      .optional(),
    /**
     * Past `restart_cluster` operations per instance (COMPLETED, GmtCreate/GmtEnd in the past,
     * durations = the instance's own restart time with the same noise), for duration estimates.
     */
    restartHistory: z
      .object({
        /** How many past restarts each instance has. */
        perInstance: z.number().int().min(0).max(1_000),
        /** Typical time between two of them (ms, default one day); shrunk for instances younger than the history. */
        intervalMs: z.number().int().min(60_000).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type FleetSeed = z.infer<typeof fleetSeedSchema>;

export const instancePatchSchema = instanceBehaviourSchema
  .extend({
    /** Force a status (recorded as a transition with cause `control`; cancels any pending restart timer). */
    status: z.enum(WIRE_INSTANCE_STATUSES).optional(),
    instanceName: z.string().min(1).optional(),
    tags: z.array(tagSchema).optional(),
    /** The maintenance window DescribeInstances reports (as ModifyMaintainableTime would set it). */
    maintainablePeriod: maintainablePeriodSchema.optional(),
  })
  .strict();
export type InstancePatch = z.infer<typeof instancePatchSchema>;

/** Optional scope of a fault: only these actions / regions (absent = all). */
const scope = {
  actions: stringList.optional(),
  regions: stringList.optional(),
};

export const faultConfigSchema = z
  .object({
    /** Gateway throttling. Buckets are per regional gateway (each endpoint is its own gateway). */
    throttling: z
      .object({
        /** Token bucket per AccessKeyId (all actions): → 400 `Throttling.User`. */
        userQps: z.number().positive().optional(),
        /** Token bucket per action: → 400 `Throttling.Api`. */
        apiQps: z.number().positive().optional(),
        /** Bucket capacity (default max(1, qps)). */
        burst: z.number().int().min(1).optional(),
        /** Probability of a `Throttling.User` answer regardless of buckets. */
        rate: probability.optional(),
        /** Value of `x-acs-retry-after` (ms). Default: time until the bucket has a token (rate-based: 1000). */
        retryAfterMs: nonNegativeMs.optional(),
        ...scope,
      })
      .strict()
      .optional(),
    /** A rate of 5xx answers (the call is NOT applied). */
    serverErrors: z
      .object({
        rate: probability,
        /** Statuses to pick from (uniformly): 503 ServiceUnavailable, 500 InternalError. Default [503]. */
        statuses: z.array(z.union([z.literal(500), z.literal(503)])).min(1).optional(),
        ...scope,
      })
      .strict()
      .optional(),
    /** Added latency before the request is processed. */
    latency: z
      .object({
        fixedMs: nonNegativeMs.optional(),
        minMs: nonNegativeMs.optional(),
        maxMs: nonNegativeMs.optional(),
        spikeRate: probability.optional(),
        spikeMs: nonNegativeMs.optional(),
        ...scope,
      })
      .strict()
      .optional(),
    /** Connection drops (socket destroyed, no response at all). */
    drops: z
      .object({
        /** Probability of dropping BEFORE the call is applied. */
        dropBeforeRate: probability.optional(),
        /** Probability of dropping AFTER the call is applied (e.g. the restart happened but the client never hears). */
        dropAfterRate: probability.optional(),
        ...scope,
      })
      .strict()
      .optional(),
    /** HTTP 200 with a truncated, unparsable JSON body. The call IS applied first. */
    malformed: z.object({ rate: probability, ...scope }).strict().optional(),
    /** HTTP 200 envelope with `Success:false` (the call is NOT applied). */
    serviceFailure: z
      .object({
        rate: probability,
        /** Default `InvalidParams`. */
        code: z.string().optional(),
        /** Default `Unsupported.Non.Whitelist.Operation` (the spec's example). */
        message: z.string().optional(),
        ...scope,
      })
      .strict()
      .optional(),
    /** Shift of the emulator's clock used for `x-acs-date` validation (ms; positive = emulator ahead). */
    clockSkewMs: z.number().int().min(-MAX_CLOCK_SKEW_MS).max(MAX_CLOCK_SKEW_MS).optional(),
    /** After an accepted restart the instance keeps reporting `running` for this long before `restarting`. */
    flipDelayMs: nonNegativeMs.optional(),
    /**
     * "RAM revoked": every listed action (default: all) is refused by RAM for EVERY key, at the RAM
     * step of the gateway (after authentication and throttling). `gateway` (default) → 403
     * `Forbidden.RAM` with an `AccessDeniedDetail` object; `service` → 403 envelope `NoPermission`
     * with `AccessDeniedDetail` as a JSON string. Recorded as calls with fault `ram-deny`.
     */
    ramDeny: z
      .object({
        style: z.enum(['gateway', 'service']).optional(),
        ...scope,
      })
      .strict()
      .optional(),
    /**
     * The service code of RestartInstance / RestartNodeGroup on an instance that is not running:
     * `InvalidParams` (default, "Invalid instance status: …") or `OperationDenied.InstanceStatus`
     * (spec §5.2, §11), both HTTP 200 `Success:false`.
     */
    notRunningCode: z.enum(['InvalidParams', 'OperationDenied.InstanceStatus']).optional(),
    /** Data-plane faults per instance (spec §11 probes). */
    dataPlane: z
      .object({
        /** After running, these instances' backends stay offline: online_backend_num 0 < total, BE /api/health refused. */
        backendsOfflineInstanceIds: stringList.optional(),
        /** Their restarts do not really restart the engine: feStartTime unchanged, FE and BE keep answering throughout. */
        restartNotRealInstanceIds: stringList.optional(),
        /** Connections to their data-plane address (FE and BE) are reset. */
        unreachableInstanceIds: stringList.optional(),
      })
      .strict()
      .optional(),
    /** Restart outcomes by rate or by instance id. */
    restarts: z
      .object({
        stuckRate: probability.optional(),
        failRate: probability.optional(),
        /** Status a failed restart ends in (default `creating_failed`). */
        failStatus: z.enum(WIRE_INSTANCE_STATUSES).optional(),
        stuckInstanceIds: stringList.optional(),
        failInstanceIds: stringList.optional(),
        ...scope,
      })
      .strict()
      .optional(),
  })
  .strict();
export type FaultConfig = z.infer<typeof faultConfigSchema>;

/** `POST /_emulator/instances/:id/foreign-restart`: a restart made by someone else (console, another tool). */
export const foreignRestartSchema = z
  .object({
    /** How long the instance stays `restarting` (ms). Default: a restart duration drawn like an API restart's. */
    durationMs: nonNegativeMs.optional(),
    /** Recorded on the operation (OperationDetail); halves the drawn duration like FastMode does. Default false. */
    fastMode: z.boolean().optional(),
  })
  .strict();
export type ForeignRestartOptions = z.infer<typeof foreignRestartSchema>;

export interface ValidationProblem {
  /** Dotted path of the offending member (`''` for the root). */
  path: string;
  message: string;
}

export type Validated<T> = { ok: true; value: T } | { ok: false; problems: ValidationProblem[] };

export function validate<T>(schema: z.ZodType<T>, input: unknown): Validated<T> {
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    problems: result.error.issues.map((issue) => ({
      path: issue.path.map(String).join('.'),
      message: issue.message,
    })),
  };
}

export function formatProblems(problems: ValidationProblem[]): string {
  return problems.map((p) => `${p.path || '(root)'}: ${p.message}`).join('; ');
}
