/** `starwave status <rollout>` and `starwave report <rollout>`: reading one run. */
import { Option, type Command } from 'commander';
import { describeRun, getProgress, getReport, type RolloutStatus } from '../../client';
import type { TemporalTarget } from '../../client/connection';
import { EXIT, StarwaveError, type ExitCode } from '../../contracts/errors';
import type { ProgressDetail } from '../../contracts/rollout';
import { act, arg, examples, jsonOption, print, printJson, stdio, targetOf, withClient, type Io } from '../context';
import { parseDetail, parseReportFormat } from '../flags';
import { follow } from '../follow';
import { renderReport, reportSummary, type ReportFormat } from '../render/report';
import { renderStatus } from '../render/status';
import { writeFileSync } from 'node:fs';

const runOption = (): Option => new Option('--run <runId>', 'a particular run (default: the latest run of the rollout; see "starwave list --name")');

interface StatusOpts {
  watch?: boolean;
  json?: boolean;
  detail?: ProgressDetail;
  run?: string;
}

export function registerStatus(program: Command): void {
  const status = program
    .command('status')
    .description('Progress of a rollout: its state, waves, in-flight restarts, what blocks it, ETA, who did what (exit 1 when it failed or was stopped)')
    .argument('<rollout>', 'rollout id (starwave-rollout-…)')
    .addOption(runOption())
    .option('--watch', 'redraw live until the run ends (exit code from the outcome); with --json, one JSON line per change')
    .addOption(new Option('--detail <level>', 'per-instance results: summary, problems or all').argParser(arg(parseDetail)))
    .addOption(jsonOption())
    .action(act((id: string, o: StatusOpts, c: Command) => statusCommand(targetOf(c), id, o, stdio)));
  examples(status, ['starwave status starwave-rollout-nightly', 'starwave status starwave-rollout-nightly --watch', 'starwave status starwave-rollout-nightly --watch --json | jq -c .progress.counts']);

  const report = program
    .command('report')
    .description('The final per-instance report of a run, with the cancel reason and who did what')
    .argument('<rollout>', 'rollout id (starwave-rollout-…)')
    .addOption(runOption())
    .addOption(new Option('--format <format>', 'table, markdown or json').default('table').argParser(arg(parseReportFormat)))
    .option('--json', 'same as --format json')
    .option('--out <file>', 'write the report to a file')
    .option('--wait', 'wait for a running run to end')
    .action(
      act((id: string, o: { format: ReportFormat; json?: boolean; out?: string; wait?: boolean; run?: string }, c: Command) =>
        reportCommand(targetOf(c), id, { ...o, format: o.json ? 'json' : o.format }, stdio),
      ),
    );
  examples(report, ['starwave report starwave-rollout-nightly', 'starwave report starwave-rollout-nightly --format markdown --out report.md', 'starwave report starwave-rollout-nightly --run 0199c0d4-… --json']);
}

/** Exit 0 while running or completed; 1 when the run failed or was stopped (budget, window, stall, cancel). */
export function exitCodeOfStatus(s: RolloutStatus): ExitCode {
  if (s.executionStatus === 'RUNNING') return EXIT.ok;
  return s.executionStatus === 'COMPLETED' && s.progress?.phase === 'completed' ? EXIT.ok : EXIT.rolloutNotCompleted;
}

export async function statusCommand(target: TemporalTarget, id: string, o: StatusOpts, io: Io): Promise<ExitCode> {
  return withClient(target, async (client) => {
    if (o.watch) {
      const { report, runId, last } = await follow(client, id, { ...(o.run ? { runId: o.run } : {}), mode: o.json ? 'json-lines' : 'view', io });
      if (!o.json) print(io, ['', ...renderStatus(last, Date.now()), '', reportSummary(report, { runId })]);
      return report.phase === 'completed' ? EXIT.ok : EXIT.rolloutNotCompleted;
    }
    const status = await getProgress(client, id, { detail: o.detail ?? 'problems', ...(o.run ? { runId: o.run } : {}), requireWorker: true });
    if (o.json) printJson(io, status);
    else print(io, renderStatus(status, Date.now()));
    return exitCodeOfStatus(status);
  });
}

export async function reportCommand(target: TemporalTarget, id: string, o: { format: ReportFormat; out?: string; wait?: boolean; run?: string }, io: Io): Promise<ExitCode> {
  return withClient(target, async (client) => {
    const run = await describeRun(client, id, o.run);
    if (run.executionStatus === 'RUNNING' && !o.wait) {
      throw new StarwaveError('ERR_STILL_RUNNING', `Rollout ${id} (run ${run.runId}) is still running, so it has no report yet; add --wait to wait for it, or see "starwave status ${id}".`);
    }
    const report = await getReport(client, id, { runId: run.runId });
    const text = renderReport(report, o.format, { runId: run.runId });
    if (o.out) {
      writeFileSync(o.out, `${text}\n`);
      print(io, `Wrote the report of ${id} (run ${run.runId}) to ${o.out}. ${reportSummary(report)}`);
    } else print(io, text);
    return EXIT.ok;
  });
}
