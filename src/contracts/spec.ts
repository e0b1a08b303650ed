/**
 * The rollout spec: what an operator hands starwave. One zod schema serves the CLI, the HTTP API,
 * the Temporal client module and the workflow itself (which re-validates its input).
 *
 * Pure module: safe to import from workflow code (no Node built-ins, no I/O).
 */
import { z } from 'zod';
import { StarwaveError } from './errors';
import { NOTIFY_EVENTS } from './notify-events';

/** A count (`3`) or a percentage string (`"10%"`). */
export const sizeSchema = z.union([
  z.number().int('must be a whole number').min(0, 'must be 0 or more'),
  z
    .string()
    .regex(/^(100|[1-9]?[0-9](\.[0-9]+)?)%$/, 'must be a number or a percentage such as "10%" (0-100%)'),
]);
export type Size = z.infer<typeof sizeSchema>;

const positiveSizeSchema = sizeSchema.refine((v) => v !== 0 && v !== '0%', 'must be at least 1 (or a percentage above 0%)');

export const REGION_ID = /^[a-z]{2,}(-[a-z0-9]+)+$/;
export const INSTANCE_ID = /^c-[0-9a-z]{16}$/;

const regionSchema = z.string().regex(REGION_ID, 'must be a region id such as "cn-hangzhou"');
const instanceIdSchema = z.string().regex(INSTANCE_ID, 'must be an instance id: "c-" followed by 16 lowercase letters or digits');

export const instanceRefSchema = z
  .object({
    region: regionSchema.describe('Region id of the instance, e.g. cn-hangzhou.'),
    instanceId: instanceIdSchema.describe('StarRocks instance id, e.g. c-b25e21e24388abcd.'),
  })
  .strict();
export type InstanceRef = z.infer<typeof instanceRefSchema>;

export const selectorSchema = z
  .object({
    regions: z.array(regionSchema).min(1, 'name at least one region').describe('Regions to search.'),
    instanceName: z.string().min(1).optional().describe('Instance name filter (exact match after lookup).'),
    tags: z
      .record(z.string().min(1), z.string())
      .optional()
      .describe('Tags that must all match, e.g. {"env":"prod"}.'),
    resourceGroupId: z.string().min(1).optional(),
    statuses: z
      .array(z.string().regex(/^[a-z_]+$/, 'must be a lowercase status value such as "running"'))
      .optional()
      .describe('Only instances currently in one of these statuses.'),
  })
  .strict();
export type Selector = z.infer<typeof selectorSchema>;

export const instancePolicySchema = z
  .object({
    fastMode: z.boolean().default(false).describe('RestartInstance FastMode: restart compute nodes in parallel batches.'),
    notRunning: z
      .enum(['skip', 'wait', 'fail'])
      .default('wait')
      .describe('What to do when a target is not running at its turn.'),
    notRunningWaitSeconds: z.number().int().min(0).max(86_400).default(600).describe('How long "wait" waits for running.'),
    confirmTimeoutSeconds: z
      .number()
      .int()
      .min(1)
      .max(86_400)
      .default(1_800)
      .describe('A restart not confirmed running within this many seconds counts as failed.'),
    pollIntervalSeconds: z.number().min(0.05).max(600).default(10).describe('Status poll interval per region.'),
    expectedRestartSeconds: z
      .number()
      .min(0)
      .max(86_400)
      .default(600)
      .describe('Restart duration assumed for the window cutoff until restarts of this rollout have been measured.'),
    heartbeatTimeoutSeconds: z
      .number()
      .min(1)
      .max(3_600)
      .default(30)
      .describe('How soon a lost worker is noticed during status polling.'),
  })
  .strict();

export const healthSchema = z
  .object({
    enabled: z.boolean().default(false).describe('After `running`, wait until StarRocks itself is healthy: FE /api/bootstrap OK and /api/health with every backend online.'),
    timeoutSeconds: z.number().int().min(1).max(86_400).default(600).describe('An instance not healthy this long after `running` fails with health_timeout.'),
    proveRestart: z
      .boolean()
      .default(false)
      .describe("Also require the FE start time (/api/bootstrap?token=, cluster token from the worker's STARWAVE_PROBE_TOKEN) to be later than our RestartInstance."),
  })
  .strict();
export type HealthPolicy = z.infer<typeof healthSchema>;
export type InstancePolicy = z.infer<typeof instancePolicySchema>;

export const rolloutSpecSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'must be 1-63 characters of a-z, 0-9, ".", "_" or "-", starting with a letter or digit')
      .describe('Rollout name; the workflow id is derived from it (or from requestId).'),
    requestId: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1-128 characters of letters, digits, ".", "_", ":" or "-"')
      .optional()
      .describe('Caller-given idempotency key: the same requestId never starts two rollouts.'),
    description: z.string().max(500).optional(),
    targets: z
      .object({
        instances: z.array(instanceRefSchema).default([]).describe('Explicit targets.'),
        selectors: z.array(selectorSchema).default([]).describe('Targets found through DescribeInstances.'),
        exclude: z.array(instanceIdSchema).default([]).describe('Instance ids never to restart.'),
      })
      .strict()
      .refine((t) => t.instances.length + t.selectors.length > 0, {
        message: 'name at least one instance in targets.instances or one selector in targets.selectors',
      }),
    regions: z
      .object({
        order: z.array(regionSchema).default([]).describe('Region order, e.g. a canary region first; others follow alphabetically.'),
        mode: z
          .enum(['sequential', 'parallel'])
          .default('sequential')
          .describe('sequential: one region after another, each with its own waves; parallel: every wave spans all regions.'),
      })
      .strict()
      .default({ order: [], mode: 'sequential' }),
    waves: z
      .object({
        sizes: z
          .array(positiveSizeSchema)
          .min(1, 'give at least one wave size')
          .default([1, '10%', '50%', '100%'])
          .describe('Size of each wave (count or % of the targets in scope); the last size repeats.'),
        order: z
          .enum(['longest_first', 'listing'])
          .default('longest_first')
          .describe('Launch order inside a wave: the longest expected restart first (from restart history), or the listing order.'),
        bakeSeconds: z.number().min(0).max(86_400).default(0).describe('Pause after each wave before the next.'),
        approvalBefore: z
          .array(z.number().int().min(1))
          .default([])
          .describe('1-based wave numbers that wait for an approval before starting.'),
      })
      .strict()
      .default({ sizes: [1, '10%', '50%', '100%'], order: 'longest_first', bakeSeconds: 0, approvalBefore: [] }),
    concurrency: z
      .object({
        global: positiveSizeSchema.default(5).describe('Max instances down at once (count or % of the wave).'),
        perRegion: positiveSizeSchema.optional().describe("Max instances down at once per region (count or % of the region's part of the wave)."),
        stallTimeoutSeconds: z
          .number()
          .int()
          .min(1)
          .max(86_400)
          .default(1_800)
          .describe('When instances that are down (failed, or unhealthy before their turn) hold every slot this long, the rollout stops (stopped_stalled).'),
      })
      .strict()
      .default({ global: 5, stallTimeoutSeconds: 1_800 }),
    failureBudget: z
      .object({
        total: sizeSchema.default(0).describe('Failures tolerated in the whole rollout; the next one stops new restarts.'),
        perWave: sizeSchema.optional().describe('Failures tolerated in one wave; the next one stops new restarts.'),
      })
      .strict()
      .default({ total: 0 }),
    instance: instancePolicySchema.default(instancePolicySchema.parse({})),
    window: z
      .object({
        notAfter: z
          .string()
          .datetime({ offset: true, message: 'must be an ISO-8601 date-time such as 2026-12-01T06:00:00Z' })
          .optional()
          .describe('No restart starts that cannot be expected to finish before this time.'),
        instanceMaintainablePeriod: z
          .boolean()
          .default(false)
          .describe("Launch each instance only inside its own MaintainablePeriod (the region's local time), with its expected restart duration to spare."),
      })
      .strict()
      .default({ instanceMaintainablePeriod: false }),
    health: healthSchema.default(healthSchema.parse({})),
    notify: z
      .object({
        receivers: z
          .array(z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must name a receiver configured in the worker (STARWAVE_NOTIFY_URLS), e.g. "ops-slack"'))
          .optional()
          .describe("Receivers by name, as configured in the worker's STARWAVE_NOTIFY_URLS (the URLs are secrets and live only there). Default: every configured receiver."),
        events: z
          .array(z.enum(NOTIFY_EVENTS))
          .optional()
          .describe(`Which events to send (default all): ${NOTIFY_EVENTS.join(', ')}.`),
      })
      .strict()
      .default({}),
    estimates: z
      .object({
        fromHistory: z.boolean().default(true).describe("Estimate each target's restart duration from its past restart_cluster operations (ListOperationHistory)."),
        lookbackDays: z.number().int().min(1).max(365).default(30).describe('How far back to look for past restarts.'),
        maxInstances: z.number().int().min(0).max(100_000).default(2_000).describe('Look up at most this many targets (the rest use instance.expectedRestartSeconds).'),
      })
      .strict()
      .default({ fromHistory: true, lookbackDays: 30, maxInstances: 2_000 }),
  })
  .strict();

export type RolloutSpec = z.infer<typeof rolloutSpecSchema>;
export type RolloutSpecInput = z.input<typeof rolloutSpecSchema>;

export interface SpecProblem {
  /** Dotted path of the offending field, e.g. `waves.sizes.2`. */
  path: string;
  message: string;
}

export type SpecResult = { ok: true; spec: RolloutSpec } | { ok: false; problems: SpecProblem[] };

/** Validates a parsed spec document and returns every problem with its path (never throws). */
export function validateSpec(input: unknown): SpecResult {
  const parsed = rolloutSpecSchema.safeParse(input);
  if (!parsed.success) {
    return { ok: false, problems: parsed.error.issues.flatMap(toProblems) };
  }
  const problems = crossFieldProblems(parsed.data);
  return problems.length ? { ok: false, problems } : { ok: true, spec: parsed.data };
}

/** zod issues as operator sentences: unknown keys at their own path, missing fields as "is required". */
function toProblems(issue: z.core.$ZodIssue): SpecProblem[] {
  const at = (path: readonly PropertyKey[]): string => (path.length ? path.map(String).join('.') : '(spec)');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      path: at([...issue.path, key]),
      message: `unknown field "${key}"; check its spelling (docs/rollout.schema.json lists every field)`,
    }));
  }
  if (issue.code === 'invalid_type' && / received undefined$/.test(issue.message)) {
    return [{ path: at(issue.path), message: `is required (${issue.expected === 'object' ? 'an object' : `a ${issue.expected}`})` }];
  }
  if (issue.code === 'invalid_type' && issue.path.length === 0) {
    return [{ path: '(spec)', message: 'the spec must be an object (a JSON or YAML mapping) with at least name and targets' }];
  }
  return [{ path: at(issue.path), message: issue.message }];
}

function crossFieldProblems(spec: RolloutSpec): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const order = spec.regions.order;
  order.forEach((region, i) => {
    if (order.indexOf(region) !== i) problems.push({ path: `regions.order.${i}`, message: `region "${region}" is listed twice` });
  });
  const ip = spec.instance;
  if (ip.pollIntervalSeconds >= ip.confirmTimeoutSeconds) {
    problems.push({
      path: 'instance.pollIntervalSeconds',
      message: `must be shorter than instance.confirmTimeoutSeconds (${ip.confirmTimeoutSeconds})`,
    });
  }
  return problems;
}

export class SpecValidationError extends StarwaveError {
  override readonly name = 'SpecValidationError';
  constructor(problems: SpecProblem[]) {
    super('ERR_SPEC_INVALID', formatProblems(problems), { problems });
  }
}

/** At most this many problems are listed in the sentence (all of them stay in the error's `problems`). */
export const PROBLEMS_LISTED = 50;

export function formatProblems(problems: SpecProblem[]): string {
  const lines = problems.slice(0, PROBLEMS_LISTED).map((p) => `  - ${p.path}: ${p.message}`);
  if (problems.length > PROBLEMS_LISTED) lines.push(`  … and ${problems.length - PROBLEMS_LISTED} more; fix these first.`);
  return `The rollout spec is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${lines.join('\n')}`;
}

/** Parses or throws a SpecValidationError listing every problem. */
export function parseSpec(input: unknown): RolloutSpec {
  const result = validateSpec(input);
  if (!result.ok) throw new SpecValidationError(result.problems);
  return result.spec;
}

/** Resolves a Size against a total: counts as is, percentages rounded up. */
export function resolveSize(size: Size, total: number, opts: { atLeastOne: boolean }): number {
  const value = typeof size === 'number' ? size : Math.ceil((Number.parseFloat(size) / 100) * total - 1e-9);
  return opts.atLeastOne ? Math.max(1, value) : Math.max(0, value);
}

/** Failure budgets round percentages down: "5%" of 30 tolerates 1 failure, not 2. */
export function resolveBudget(size: Size, total: number): number {
  return typeof size === 'number' ? size : Math.floor((Number.parseFloat(size) / 100) * total + 1e-9);
}

/** The Temporal workflow id of a rollout: derived from requestId when given, else from the name. */
export function rolloutWorkflowId(spec: Pick<RolloutSpec, 'name' | 'requestId'>): string {
  return spec.requestId ? `starwave-rollout-req-${spec.requestId}` : `starwave-rollout-${spec.name}`;
}
