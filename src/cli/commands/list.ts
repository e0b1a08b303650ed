/** `starwave list`: runs of rollouts with starwave's own outcome, newest first. */
import { Option, type Command } from 'commander';
import { listRuns, type RolloutRun, type RunFilter } from '../../client/list';
import type { TemporalTarget } from '../../client/connection';
import { EXIT, type ExitCode } from '../../contracts/errors';
import { act, arg, examples, jsonOption, print, printJson, stdio, targetOf, withClient, type Io } from '../context';
import { parseName, parsePositiveInt, parseRegion, parseRunFilter } from '../flags';
import { formatDuration, formatIso, table } from '../render/format';

interface ListOpts {
  status?: RunFilter;
  name?: string;
  region?: string;
  limit?: number;
  json?: boolean;
}

export function registerList(program: Command): void {
  const command = program
    .command('list')
    .description("Runs of rollouts, newest first, with starwave's outcome of each (completed, stopped_budget, cancelled, … or the live state of a running one)")
    .addOption(
      new Option('--status <status>', 'running (any live run), a live state (paused, awaiting_approval, cancelling) or an outcome (completed, stopped_budget, stopped_window, stopped_stalled, cancelled, failed)').argParser(arg(parseRunFilter)),
    )
    .addOption(new Option('--name <name>', "runs of the spec with this name (every run of a re-run spec, scheduled ones too)").argParser(arg((raw) => parseName('--name', raw))))
    .addOption(new Option('--region <region>', 'runs whose targets include this region').argParser(arg((raw) => parseRegion('--region', raw))))
    .addOption(new Option('--limit <n>', 'at most this many (default 50)').argParser(arg((raw) => parsePositiveInt('--limit', raw, { max: 10_000 }))))
    .addOption(jsonOption())
    .action(act((o: ListOpts, c: Command) => listCommand(targetOf(c), o, stdio)));
  examples(command, ['starwave list', 'starwave list --name nightly-hangzhou', 'starwave list --status stopped_budget --region cn-hangzhou', 'starwave list --status running --json']);
}

export async function listCommand(target: TemporalTarget, o: ListOpts, io: Io): Promise<ExitCode> {
  return withClient(target, async (client) => {
    const runs = await listRuns(client, {
      ...(o.status ? { status: o.status } : {}),
      ...(o.name ? { name: o.name } : {}),
      ...(o.region ? { region: o.region } : {}),
      limit: o.limit ?? 50,
    });
    if (o.json) printJson(io, runs);
    else if (runs.length === 0) print(io, `No rollouts found${describeFilter(o)}.`);
    else print(io, table(['ROLLOUT', 'RUN', 'STATE', 'STARTED', 'TOOK', 'BY'], runs.map(row)));
    return EXIT.ok;
  });
}

function row(r: RolloutRun): string[] {
  const took = r.closeTime ? formatDuration(Date.parse(r.closeTime) - Date.parse(r.startTime)) : `${formatDuration(Date.now() - Date.parse(r.startTime))} so far`;
  return [r.workflowId, r.runId, r.outcome, formatIso(r.startTime), took, r.trigger ?? ''];
}

function describeFilter(o: ListOpts): string {
  const parts = [o.status ? `state ${o.status}` : '', o.name ? `name ${o.name}` : '', o.region ? `region ${o.region}` : ''].filter(Boolean);
  return parts.length ? ` with ${parts.join(', ')}` : '';
}
