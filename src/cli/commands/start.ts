/**
 * `starwave start <spec>`: starts a new run of the rollout. A spec describes a rollout that can run
 * many times: each start of a spec whose last run has closed is a new run (its own run id and
 * report); a run still going refuses a second one (exit 2, naming it); a requestId never starts twice.
 */
import { Option, type Command } from 'commander';
import type { Client } from '@temporalio/client';
import { describeRun, hasWorker, requireWorker, startRollout } from '../../client';
import type { TemporalTarget } from '../../client/connection';
import { EXIT, type ExitCode } from '../../contracts/errors';
import type { Problem } from '../../contracts/errors';
import { resolveTargets } from '../../planning/resolve';
import type { RolloutSpec } from '../../contracts/spec';
import { act, arg, callerIdentity, examples, jsonOption, print, stdio, targetOf, taskQueueOf, taskQueueOption, withClient, type Io } from '../context';
import { describeFailure } from '../failure';
import { parseIsoTime, parseReportFormat } from '../flags';
import { follow } from '../follow';
import { retryingReader } from '../plan/fetch';
import { fleetProblems, knownRegionsFromEnv, preflightError, specProblems, type RegionSetting } from '../preflight';
import { formatTime } from '../render/format';
import { renderReport, type ReportFormat } from '../render/report';
import { loadSpecFile } from '../spec-file';

export interface StartOpts {
  wait?: boolean;
  json?: boolean;
  taskQueue?: string;
  notAfter?: string;
  format?: ReportFormat;
}

export function registerStart(program: Command): void {
  const command = program
    .command('start')
    .description('Start a new run of a rollout from a spec file (refused while a run of the same name is still going; a requestId never starts twice)')
    .argument('<spec>', 'rollout spec file (JSON or YAML)')
    .option('--wait', 'follow it live, then print the report (exit code from the outcome; Ctrl-C stops following, not the rollout)')
    .addOption(new Option('--not-after <iso>', 'window cutoff overriding spec.window.notAfter when earlier').argParser(arg((raw) => parseIsoTime('--not-after', raw))))
    .addOption(new Option('--format <format>', 'report format with --wait: table, markdown or json').argParser(arg(parseReportFormat)))
    .addOption(taskQueueOption())
    .addOption(jsonOption())
    .action(act((spec: string, o: StartOpts, c: Command) => startCommand(targetOf(c), spec, o, stdio)));
  examples(command, [
    'starwave start examples/rollout.yaml',
    'starwave start examples/rollout.yaml --wait --format markdown > report.md',
    'starwave start spec.yaml --not-after 2026-12-01T06:00:00Z --json',
  ]);
}

export async function startCommand(target: TemporalTarget, specPath: string, o: StartOpts, io: Io): Promise<ExitCode> {
  // Everything about the spec is checked before Temporal is asked: a bad spec never starts.
  const spec = loadSpecFile(specPath);
  const regions = knownRegionsFromEnv();
  const problems = specProblems(spec, regions);
  if (problems.length) throw preflightError(specPath, problems);
  const fleet = await checkAgainstFleet(spec, regions, io);
  if (fleet.length) throw preflightError(specPath, fleet);

  const taskQueue = taskQueueOf(o.taskQueue);
  const trigger = callerIdentity();
  return withClient(target, async (client) => {
    // --wait would wait for ever without a worker: say so before anything starts.
    if (o.wait) await requireWorker(client, taskQueue);
    const started = await startRollout(client, spec, { taskQueue, trigger, ...(o.notAfter ? { notAfter: o.notAfter } : {}) });
    const run = await describeRun(client, started.workflowId, started.runId);
    const id = started.workflowId;
    const json = { workflowId: id, runId: started.runId, existing: started.existing, startTime: run.startTime, taskQueue: run.taskQueue, trigger };
    const headline = started.existing
      ? `Rollout ${id} already has a run for requestId "${spec.requestId}": run ${started.runId} started ${formatTime(Date.parse(run.startTime))}; nothing new was started.`
      : `Started rollout ${id}: run ${started.runId} started ${formatTime(Date.parse(run.startTime))} by ${trigger} on task queue "${run.taskQueue}".`;
    if (!o.wait) {
      if (o.json) print(io, JSON.stringify(json, null, 2));
      else print(io, [headline, `  follow it:  starwave status ${id} --watch`, `  cancel it:  starwave cancel ${id} --reason "…"`]);
      if (!(await hasWorker(client, run.taskQueue))) {
        io.err.write(`Note: no starwave worker is polling task queue "${run.taskQueue}" yet; the rollout begins once one does ("starwave worker --task-queue ${run.taskQueue}").\n`);
      }
      return EXIT.ok;
    }
    (o.json ? io.err : io.out).write(`${headline}\n`);
    return followToReport(client, id, started.runId, o, io);
  });
}

async function followToReport(client: Client, id: string, runId: string, o: StartOpts, io: Io): Promise<ExitCode> {
  const { report } = await follow(client, id, { runId, mode: o.json ? 'view-stderr' : 'view', io });
  print(io, renderReport(report, o.json ? 'json' : (o.format ?? 'table'), { runId }));
  return report.phase === 'completed' ? EXIT.ok : EXIT.rolloutNotCompleted;
}

/** How long start may spend resolving targets to check targets.exclude. */
const FLEET_CHECK_MS = 20_000;

/**
 * targets.exclude with selectors can only be checked against the resolved fleet: done here when this
 * machine can read the API; otherwise a note says it was not checked (the worker resolves anyway).
 */
async function checkAgainstFleet(spec: RolloutSpec, regions: RegionSetting, io: Io): Promise<Problem[]> {
  if (spec.targets.exclude.length === 0 || spec.targets.selectors.length === 0) return [];
  // Loaded here, not at the top: the StarRocks client (undici) costs every other command ~60 ms of start-up.
  // require, not import(): under tsx's CommonJS hook (a development checkout) import() would not find the .ts file.
  const { openReaders } = require('../plan/readers') as typeof import('../plan/readers');
  const readers = openReaders(regions);
  let timer: NodeJS.Timeout | undefined;
  try {
    const retry = { attempts: 3 };
    const fleet = await Promise.race([
      resolveTargets((region) => retryingReader(readers.readerFor(region), retry), spec),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${FLEET_CHECK_MS / 1000} s`)), FLEET_CHECK_MS);
      }),
    ]);
    return fleetProblems(spec, fleet).filter((p) => p.path.startsWith('targets.exclude'));
  } catch (err) {
    io.err.write(`Note: targets.exclude was not checked against the fleet (${describeFailure(err).message}); run "starwave plan" where the StarRocks API can be read.\n`);
    return [];
  } finally {
    if (timer) clearTimeout(timer);
    await readers.close();
  }
}
