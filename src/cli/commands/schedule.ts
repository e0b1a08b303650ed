/**
 * `starwave schedule …`: maintenance windows as Temporal Schedules. Times are shown in the
 * schedule's own time zone and windows as durations (2h); `describe` shows the run going now and the
 * outcome of recent runs. A bad cron is refused here with a sentence (exit 2), before Temporal.
 */
import { Option, type Command } from 'commander';
import type { Client } from '@temporalio/client';
import * as sw from '../../client';
import { listRuns, type RolloutRun } from '../../client/list';
import type { TemporalTarget } from '../../client/connection';
import { EXIT, StarwaveError, type ExitCode } from '../../contracts/errors';
import { act, arg, examples, jsonOption, print, printJson, stdio, targetOf, taskQueueOf, taskQueueOption, withClient, type Io } from '../context';
import { parseCalendar, parseCron, parseDurationSeconds, parseTimezone } from '../flags';
import { formatIso, formatSeconds, phaseWords, table } from '../render/format';
import { loadSpecFile } from '../spec-file';

export interface ScheduleCreateOpts {
  spec: string;
  cron?: string[];
  calendar?: Array<Record<string, unknown>>;
  timezone?: string;
  window: number;
  jitter?: number;
  taskQueue?: string;
  paused?: boolean;
  triggerNow?: boolean;
  json?: boolean;
}

const collectCron = (value: string, previous: string[] = []): string[] => [...previous, arg(parseCron)(value)];

export function registerSchedule(program: Command): void {
  const schedule = program.command('schedule').description('Maintenance windows: Temporal Schedules whose every firing starts an ordinary rollout run');
  examples(schedule, ['starwave schedule create nightly --spec examples/rollout.yaml --cron "0 2 * * SUN" --timezone Asia/Shanghai --window 2h', 'starwave schedule describe nightly']);
  const create = schedule
    .command('create')
    .description('Create a schedule: each run is an ordinary rollout run that launches nothing that cannot finish by its start + window')
    .argument('<id>', 'schedule id')
    .requiredOption('--spec <file>', 'rollout spec file (JSON or YAML)')
    .option('--cron <expr>', 'when the window opens, e.g. "0 2 * * SUN" (minute hour day-of-month month day-of-week; repeatable)', collectCron)
    .addOption(new Option('--calendar <json>', 'Temporal calendar spec(s), e.g. \'{"dayOfWeek":"SUNDAY","hour":2}\'').argParser(arg(parseCalendar)))
    .addOption(new Option('--timezone <tz>', 'IANA time zone the cron/calendar is read in, e.g. Asia/Shanghai (default UTC)').argParser(arg(parseTimezone)))
    .addOption(new Option('--window <duration>', 'window length, e.g. 2h').argParser(arg((raw) => parseDurationSeconds('--window', raw))).makeOptionMandatory())
    .addOption(new Option('--jitter <duration>', 'random delay added to each run, e.g. 5m').argParser(arg((raw) => parseDurationSeconds('--jitter', raw))))
    .option('--paused', 'create it paused')
    .option('--trigger-now', 'also start one run right away')
    .addOption(taskQueueOption())
    .addOption(jsonOption())
    .action(act((id: string, o: ScheduleCreateOpts, c: Command) => scheduleCreateCommand(targetOf(c), id, o, stdio)));
  examples(create, [
    'starwave schedule create nightly --spec examples/rollout.yaml --cron "0 2 * * SUN" --timezone Asia/Shanghai --window 2h',
    'starwave schedule create weekdays --spec spec.yaml --cron "30 1 * * MON-FRI" --window 90m --jitter 5m',
  ]);
  examples(schedule.command('list').description('Schedules of rollouts').addOption(jsonOption()).action(act((o: { json?: boolean }, c: Command) => scheduleListCommand(targetOf(c), o, stdio))), [
    'starwave schedule list',
  ]);
  const describe = schedule
    .command('describe')
    .description('A schedule: its rollout, cron and window, next runs (in its time zone), the run going now and recent outcomes')
    .argument('<id>', 'schedule id')
    .addOption(jsonOption())
    .action(act((id: string, o: { json?: boolean }, c: Command) => scheduleDescribeCommand(targetOf(c), id, o, stdio)));
  examples(describe, ['starwave schedule describe nightly', 'starwave schedule describe nightly --json']);
  const actions = { pause: 'Pause a schedule (no new runs)', unpause: 'Unpause a schedule', delete: 'Delete a schedule (runs going now continue)', trigger: 'Start one run now' } as const;
  for (const action of Object.keys(actions) as Array<keyof typeof actions>) {
    const c = schedule.command(action).description(actions[action]).argument('<id>', 'schedule id').addOption(jsonOption());
    if (action === 'pause' || action === 'unpause') c.option('--note <text>', 'why (shown by describe)');
    c.action(act((id: string, o: { json?: boolean; note?: string }, self: Command) => scheduleActionCommand(targetOf(self), action, id, o, stdio)));
    examples(c, [`starwave schedule ${action} nightly${action === 'pause' ? ' --note "release freeze"' : ''}`]);
  }
}

export async function scheduleCreateCommand(target: TemporalTarget, id: string, o: ScheduleCreateOpts, io: Io): Promise<ExitCode> {
  if (!o.cron?.length && !o.calendar?.length) throw new StarwaveError('ERR_FLAG_INVALID', 'schedule create needs --cron "<expr>" or --calendar <json> to say when the window opens.');
  const spec = loadSpecFile(o.spec);
  return withClient(target, async (client) => {
    try {
      await sw.createSchedule(client, {
        id,
        spec,
        windowSeconds: o.window,
        ...(o.cron?.length ? { cron: o.cron } : {}),
        ...(o.calendar?.length ? { calendar: o.calendar } : {}),
        ...(o.timezone ? { timezone: o.timezone } : {}),
        ...(o.jitter ? { jitterSeconds: o.jitter } : {}),
        taskQueue: taskQueueOf(o.taskQueue),
        ...(o.paused ? { paused: true } : {}),
      });
    } catch (err) {
      throw refusedSpec(err);
    }
    if (o.triggerNow) await sw.triggerSchedule(client, id);
    const d = await sw.describeSchedule(client, id);
    if (o.json) printJson(io, d);
    else
      print(io, [
        `Created schedule ${id}: each run restarts "${spec.name}" ${when(d)}, within a ${formatSeconds(o.window)} window (a firing while a run is going is skipped).`,
        `  next runs: ${d.nextActionTimes.slice(0, 3).map((t) => formatIso(t, zone(d))).join(', ') || '(none)'}`,
        ...(o.triggerNow ? ['  triggered one run now'] : []),
      ]);
    return EXIT.ok;
  });
}

/** Temporal's refusal of a calendar/cron it cannot read (INVALID_ARGUMENT) is a flag problem, exit 2. */
function refusedSpec(err: unknown): unknown {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if ((e as { code?: unknown }).code === 3) return new StarwaveError('ERR_FLAG_INVALID', `Temporal refused the schedule's times: ${e.message.replace(/^\d+ INVALID_ARGUMENT: /, '')}. Check --cron, --calendar and --timezone.`);
  }
  return err;
}

const zone = (d: sw.ScheduleDetails): string => d.timezone ?? 'UTC';
const when = (d: sw.ScheduleDetails): string => `${d.cron.length ? `at "${d.cron.join('", "')}"` : `on ${d.calendars.length} calendar spec(s)`} (${zone(d)})`;

export async function scheduleListCommand(target: TemporalTarget, o: { json?: boolean }, io: Io): Promise<ExitCode> {
  return withClient(target, async (client) => {
    const items = await sw.listSchedules(client);
    if (o.json) printJson(io, items);
    else if (items.length === 0) print(io, 'No schedules found.');
    else print(io, table(['SCHEDULE', 'STATE', 'NEXT RUN', 'TIME ZONE', 'LAST RUN'], items.map((s) => [s.scheduleId, s.paused ? 'paused' : 'active', formatIso(s.nextActionTimes[0], s.timezone ?? 'UTC'), s.timezone ?? 'UTC', s.recentRuns.at(-1)?.workflowId ?? ''])));
    return EXIT.ok;
  });
}

export async function scheduleDescribeCommand(target: TemporalTarget, id: string, o: { json?: boolean }, io: Io): Promise<ExitCode> {
  return withClient(target, async (client) => {
    const d = await sw.describeSchedule(client, id);
    const runs = await scheduleRuns(client, id);
    const running = mergeRunning(d, runs);
    if (o.json) {
      printJson(io, { ...d, running, runs });
      return EXIT.ok;
    }
    const tz = zone(d);
    print(io, [
      `Schedule ${d.scheduleId} (${d.paused ? 'paused' : 'active'})${d.note ? `: ${d.note}` : ''}`,
      `  rollout "${d.specName ?? '?'}" on task queue "${d.taskQueue ?? '?'}", ${when(d)}, window ${d.windowSeconds !== undefined ? formatSeconds(d.windowSeconds) : '?'}`,
      `  next runs: ${d.nextActionTimes.slice(0, 5).map((t) => formatIso(t, tz)).join(', ') || '(none)'}`,
      `  running now: ${running.length ? running.map((r) => `${r.workflowId} run ${r.runId ?? '?'} [${phaseWords(r.outcome)}] since ${formatIso(r.startTime, tz)}`).join('; ') : '(none)'}`,
      ...(runs.length
        ? ['  recent runs:', ...table(['ROLLOUT', 'RUN', 'STATE', 'STARTED'], runs.slice(0, 10).map((r) => [r.workflowId, r.runId, phaseWords(r.outcome), formatIso(r.startTime, tz)])).map((l) => `    ${l}`)]
        : ['  recent runs: (none)']),
    ]);
    return EXIT.ok;
  });
}

/** Runs the schedule started, from visibility (TemporalScheduledById), newest first; none when not indexed. */
async function scheduleRuns(client: Client, id: string): Promise<RolloutRun[]> {
  return listRuns(client, { scheduleId: id, limit: 20 }).catch(() => []);
}

/** Temporal's running actions, with their state from visibility; plus running runs visibility knows of. */
function mergeRunning(d: sw.ScheduleDetails, runs: readonly RolloutRun[]): Array<{ workflowId: string; runId?: string; outcome: string; startTime?: string }> {
  const out = d.running.map((r) => {
    const seen = runs.find((x) => x.workflowId === r.workflowId);
    return { ...r, outcome: seen?.outcome ?? 'running', ...(seen ? { startTime: seen.startTime, runId: r.runId ?? seen.runId } : {}) };
  });
  for (const r of runs) if (r.executionStatus === 'RUNNING' && !out.some((x) => x.workflowId === r.workflowId)) out.push({ workflowId: r.workflowId, runId: r.runId, outcome: r.outcome, startTime: r.startTime });
  return out;
}

export async function scheduleActionCommand(target: TemporalTarget, action: 'pause' | 'unpause' | 'delete' | 'trigger', id: string, o: { json?: boolean; note?: string }, io: Io): Promise<ExitCode> {
  return withClient(target, async (client) => {
    if (action === 'pause') await sw.pauseSchedule(client, id, o.note);
    else if (action === 'unpause') await sw.unpauseSchedule(client, id, o.note);
    else if (action === 'trigger') await sw.triggerSchedule(client, id);
    else await sw.deleteSchedule(client, id);
    if (o.json) printJson(io, { scheduleId: id, action, ok: true });
    else print(io, `Schedule ${id}: ${{ pause: 'paused', unpause: 'unpaused', delete: 'deleted (runs going now continue)', trigger: 'triggered one run' }[action]}.`);
    return EXIT.ok;
  });
}
