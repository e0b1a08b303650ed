/** `starwave plan <spec>`: a dry run against the real API (read-only) and, when reachable, Temporal's lease registry. */
import type { Command } from 'commander';
import { getLeases } from '../../client/leases';
import { connectClient, type TemporalTarget } from '../../client/connection';
import { EXIT, type ExitCode } from '../../contracts/errors';
import { act, examples, jsonOption, print, printJson, stdio, targetOf, taskQueueOf, taskQueueOption, type Io } from '../context';
import { describeFailure } from '../failure';
import { gatherPlan, type PlanSources } from '../plan/fetch';
import { buildPlanReport } from '../plan/model';
import { fleetProblems, knownRegionsFromEnv, preflightError, specProblems } from '../preflight';
import { renderPlan } from '../render/plan';
import { loadSpecFile } from '../spec-file';

export function registerPlan(program: Command): void {
  const command = program
    .command('plan')
    .description('Dry run: validate the spec, resolve its targets (read-only), and print the waves, their instances, how many restart at once, the expected duration (p50/p90), API calls, held leases and problems')
    .argument('<spec>', 'rollout spec file (JSON or YAML)')
    .addOption(taskQueueOption())
    .addOption(jsonOption('print the plan as JSON (every instance of every wave)'))
    .action(act((spec: string, o: { json?: boolean; taskQueue?: string }, c: Command) => planCommand(targetOf(c), spec, o, stdio)));
  examples(command, ['starwave plan examples/rollout.yaml', 'starwave plan spec.yaml --json | jq \'.waves[0].instances\'', 'STARWAVE_ENDPOINTS=\'{"cn-hangzhou":"http://127.0.0.1:18080"}\' starwave plan spec.yaml']);
}

/** Exit 0 when the spec can start as it is, 2 when `start` would refuse it, 3 when the API cannot be read. */
export async function planCommand(target: TemporalTarget, specPath: string, o: { json?: boolean; taskQueue?: string }, io: Io): Promise<ExitCode> {
  // Temporal is asked first and answers while the spec is read and the API is resolved: its connection's round
  // trips overlap that work instead of adding to it. Leases are read when Temporal answers; a plan does not need it
  // otherwise.
  const temporal = connectClient(target, { connectTimeoutMs: 2_000 }).then(
    (connected) => ({ connected }),
    (err: unknown) => ({ unavailable: describeFailure(err).message }),
  );
  let readers: { readerFor: PlanSources['readerFor']; close(): Promise<void> } | undefined;
  try {
    const spec = loadSpecFile(specPath);
    const regions = knownRegionsFromEnv();
    // Unknown regions are never asked for: against STARWAVE_ENDPOINTS they would go to the real cloud.
    const early = specProblems(spec, regions);
    if (early.some((p) => p.message.startsWith('unknown region'))) throw preflightError(specPath, early);

    // Loaded here, not at the top: the StarRocks client (undici) costs every other command ~60 ms of start-up.
    // require, not import(): under tsx's CommonJS hook (a development checkout) import() would not find the .ts file.
    const { openReaders } = require('../plan/readers') as typeof import('../plan/readers');
    readers = openReaders(regions);
    const taskQueue = taskQueueOf(o.taskQueue);
    const sources: PlanSources = {
      readerFor: readers.readerFor,
      nowMs: Date.now(),
      leases: async (instanceIds) => {
        const answer = await temporal;
        if ('unavailable' in answer) throw new Error(answer.unavailable); // the note the plan shows
        return getLeases(answer.connected.client, taskQueue, { instanceIds, timeoutMs: 3_000 });
      },
    };
    const gathered = await gatherPlan(spec, sources);
    const blocking = [...early, ...fleetProblems(spec, gathered.fleet).filter((p) => !early.some((e) => e.path === p.path))];
    const report = buildPlanReport(spec, { ...gathered, blocking, nowMs: sources.nowMs });
    if (o.json) printJson(io, report);
    else print(io, renderPlan(report, sources.nowMs));
    if (!blocking.length) return EXIT.ok;
    io.err.write(`${preflightError(specPath, blocking).message.replace('Nothing was started.', '"starwave start" refuses this spec until they are fixed.')}\n`);
    return EXIT.invalidInput;
  } finally {
    await readers?.close();
    // Not awaited: a spec error must not wait for Temporal's connect timeout (the process exits after the command).
    void temporal.then((answer) => ('connected' in answer ? answer.connected.connection.close() : undefined)).catch(() => {});
  }
}
