/**
 * The actions behind `starwave` subcommands that talk to Temporal. Each returns the exit code; errors are
 * mapped to exit codes by main.ts (src/cli/errors.ts).
 */
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import * as sw from '../client';
import { resolveTargets } from '../activities/resolve';
import { StarRocksClients } from '../starrocks/client';
import { defaultCredentialSource } from '../starrocks/credentials';
import { parseEndpointOverrides } from '../starrocks/endpoints';
import { connectClient, type TemporalTarget } from '../worker/temporal';
import type { RolloutReport } from '../workflows/types';
import { CliError, EXIT, type ExitCode } from './errors';
import type { ReportFormat } from './flags';
import { buildPlanReport, renderPlan } from './plan';
import { LiveView, renderStatus, reportMarkdown, reportSummary, reportTable, summaryLine, table } from './render';
import { loadSpecFile } from './spec-file';

export interface Io {
  out: NodeJS.WriteStream | NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}
const defaultIo: Io = { out: process.stdout, err: process.stderr };

const print = (io: Io, text: string | string[]): void => {
  io.out.write(`${Array.isArray(text) ? text.join('\n') : text}\n`);
};
const printJson = (io: Io, value: unknown): void => print(io, JSON.stringify(value, null, 2));

/** Connects, runs `fn`, closes the connection. */
export async function withClient<T>(target: TemporalTarget, fn: (client: Client) => Promise<T>): Promise<T> {
  const { client, connection } = await connectClient(target);
  try {
    return await fn(client);
  } finally {
    await connection.close().catch(() => {});
  }
}

export function exitCodeForReport(report: RolloutReport): ExitCode {
  return report.phase === 'completed' ? EXIT.ok : EXIT.rolloutNotCompleted;
}

// ---- plan ----

export async function planCommand(specPath: string, opts: { json?: boolean }, io: Io = defaultIo): Promise<ExitCode> {
  const spec = loadSpecFile(specPath);
  const clients = new StarRocksClients({
    credentials: defaultCredentialSource(),
    endpointOverrides: parseEndpointOverrides(process.env['STARWAVE_ENDPOINTS']),
  });
  try {
    const fleet = await resolveTargets((region) => clients.forRegion(region), spec);
    const report = buildPlanReport(spec, fleet);
    if (opts.json) printJson(io, report);
    else print(io, renderPlan(report));
    return EXIT.ok;
  } finally {
    await clients.close();
  }
}

// ---- start / status / follow ----

export interface StartOpts {
  wait?: boolean;
  json?: boolean;
  taskQueue?: string;
  notAfter?: string;
  format?: ReportFormat;
}

export async function startCommand(target: TemporalTarget, specPath: string, opts: StartOpts, io: Io = defaultIo): Promise<ExitCode> {
  // Validate before connecting: a bad spec never reaches Temporal.
  const spec = loadSpecFile(specPath);
  if (opts.notAfter !== undefined && Number.isNaN(Date.parse(opts.notAfter))) {
    throw new CliError(`--not-after must be an ISO-8601 date-time such as 2026-12-01T06:00:00Z, got "${opts.notAfter}".`);
  }
  return withClient(target, async (client) => {
    const started = await sw.startRollout(client, spec, {
      trigger: 'cli',
      ...(opts.taskQueue ? { taskQueue: opts.taskQueue } : {}),
      ...(opts.notAfter ? { notAfter: opts.notAfter } : {}),
    });
    if (!opts.wait) {
      if (opts.json) printJson(io, started);
      else
        print(io, [
          started.existing ? `Rollout ${started.workflowId} already exists (run ${started.runId}); nothing new was started.` : `Started rollout ${started.workflowId} (run ${started.runId}).`,
          `  follow it:  starwave status ${started.workflowId} --watch`,
        ]);
      return EXIT.ok;
    }
    if (!opts.json) io.err.write(started.existing ? `Rollout ${started.workflowId} already exists; following it.\n` : `Started rollout ${started.workflowId}.\n`);
    const report = await follow(client, started.workflowId, { json: !!opts.json }, io);
    printReport(io, report, opts.json ? 'json' : (opts.format ?? 'table'));
    return exitCodeForReport(report);
  });
}

/** Live progress until the rollout closes; returns its report. */
export async function follow(client: Client, workflowId: string, opts: { json: boolean; intervalMs?: number }, io: Io = defaultIo): Promise<RolloutReport> {
  // JSON mode keeps stdout for the final document; progress lines go to stderr.
  const view = new LiveView(opts.json ? (io.err as NodeJS.WriteStream) : io.out);
  const interval = opts.intervalMs ?? (view.isTty ? 500 : 2000);
  for (;;) {
    const status = await sw.getProgress(client, workflowId, 'all');
    if (status.executionStatus !== 'RUNNING') break;
    if (status.progress) view.update(renderStatus(status, Date.now()), summaryLine(status.progress));
    await sleep(interval);
  }
  view.done();
  return sw.getReport(client, workflowId);
}

export function printReport(io: Io, report: RolloutReport, format: ReportFormat): void {
  if (format === 'json') printJson(io, report);
  else if (format === 'markdown') print(io, reportMarkdown(report));
  else print(io, reportTable(report));
}

export async function statusCommand(target: TemporalTarget, id: string, opts: { json?: boolean; watch?: boolean; detail?: sw.ProgressDetail }, io: Io = defaultIo): Promise<ExitCode> {
  return withClient(target, async (client) => {
    if (opts.watch && !opts.json) {
      const report = await follow(client, id, { json: false }, io);
      print(io, ['', reportSummary(report)]);
      return exitCodeForReport(report);
    }
    const status = await sw.getProgress(client, id, opts.detail ?? (opts.json ? 'problems' : 'all'));
    if (opts.json) printJson(io, status);
    else print(io, renderStatus(status, Date.now()));
    return EXIT.ok;
  });
}

export async function listCommand(target: TemporalTarget, opts: { json?: boolean; status?: sw.ListStatus; limit?: number }, io: Io = defaultIo): Promise<ExitCode> {
  return withClient(target, async (client) => {
    const items = await sw.listRollouts(client, { ...(opts.status ? { status: opts.status } : {}), limit: opts.limit ?? 50 });
    if (opts.json) printJson(io, items);
    else if (items.length === 0) print(io, 'No rollouts found.');
    else print(io, table(['WORKFLOW ID', 'STATUS', 'STARTED', 'CLOSED', 'TASK QUEUE'], items.map((i) => [i.workflowId, i.status, i.startTime, i.closeTime ?? '', i.taskQueue])));
    return EXIT.ok;
  });
}

export type ControlAction = 'pause' | 'resume' | 'cancel';

export async function controlCommand(target: TemporalTarget, action: ControlAction, id: string, opts: { json?: boolean; reason?: string }, io: Io = defaultIo): Promise<ExitCode> {
  return withClient(target, async (client) => {
    const ack = action === 'pause' ? await sw.pause(client, id) : action === 'resume' ? await sw.resume(client, id) : await sw.cancel(client, id, opts.reason);
    if (opts.json) printJson(io, ack);
    else {
      const what = { pause: 'Paused: no new restarts; in-flight ones finish.', resume: 'Resumed.', cancel: 'Cancel requested: in-flight restarts finish, the rest is reported not started.' }[action];
      print(io, `${id}: ${what} (phase ${ack.phase})`);
    }
    return EXIT.ok;
  });
}

export async function approveCommand(target: TemporalTarget, id: string, wave: number, opts: { json?: boolean }, io: Io = defaultIo): Promise<ExitCode> {
  return withClient(target, async (client) => {
    const ack = await sw.approve(client, id, wave);
    if (opts.json) printJson(io, ack);
    else print(io, `${id}: wave ${wave} approved (phase ${ack.phase}).`);
    return EXIT.ok;
  });
}

export async function setCommand(target: TemporalTarget, id: string, patch: sw.LimitsPatch, opts: { json?: boolean }, io: Io = defaultIo): Promise<ExitCode> {
  return withClient(target, async (client) => {
    const limits = await sw.setLimits(client, id, patch);
    if (opts.json) printJson(io, limits);
    else print(io, `${id}: limits now concurrency ${JSON.stringify(limits.concurrency)}, failure budget ${JSON.stringify(limits.failureBudget)}.`);
    return EXIT.ok;
  });
}

export async function reportCommand(target: TemporalTarget, id: string, opts: { format: ReportFormat; out?: string; wait?: boolean }, io: Io = defaultIo): Promise<ExitCode> {
  return withClient(target, async (client) => {
    if (!opts.wait) {
      const description = await client.workflow.getHandle(id).describe();
      if (description.status.name === 'RUNNING') {
        throw new CliError(`Rollout ${id} is still running; add --wait to wait for its report, or use "starwave status ${id}".`);
      }
    }
    const report = await sw.getReport(client, id);
    if (opts.out) {
      const text = opts.format === 'json' ? JSON.stringify(report, null, 2) : opts.format === 'markdown' ? reportMarkdown(report) : reportTable(report).join('\n');
      writeFileSync(opts.out, `${text}\n`);
      print(io, `Wrote the report of ${id} to ${opts.out}. ${reportSummary(report)}`);
    } else printReport(io, report, opts.format);
    return EXIT.ok;
  });
}

// ---- schedules ----

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

export async function scheduleCreateCommand(target: TemporalTarget, id: string, opts: ScheduleCreateOpts, io: Io = defaultIo): Promise<ExitCode> {
  if (!opts.cron?.length && !opts.calendar?.length) throw new CliError('schedule create needs --cron "<expr>" or --calendar <json> to say when the window opens.');
  const spec = loadSpecFile(opts.spec);
  return withClient(target, async (client) => {
    const created = await sw.createSchedule(client, {
      id,
      spec,
      windowSeconds: opts.window,
      ...(opts.cron?.length ? { cron: opts.cron } : {}),
      ...(opts.calendar?.length ? { calendar: opts.calendar } : {}),
      ...(opts.timezone ? { timezone: opts.timezone } : {}),
      ...(opts.jitter ? { jitterSeconds: opts.jitter } : {}),
      ...(opts.taskQueue ? { taskQueue: opts.taskQueue } : {}),
      ...(opts.paused ? { paused: true } : {}),
    });
    if (opts.triggerNow) await sw.triggerSchedule(client, id);
    const details = await sw.describeSchedule(client, id);
    if (opts.json) printJson(io, { ...created, ...details });
    else
      print(io, [
        `Created schedule ${id}: each run restarts "${spec.name}" within a ${opts.window}s window (overlapping runs are skipped).`,
        `  next runs: ${details.nextActionTimes.slice(0, 3).join(', ') || '(none)'}`,
        ...(opts.triggerNow ? ['  triggered one run now'] : []),
      ]);
    return EXIT.ok;
  });
}

export async function scheduleListCommand(target: TemporalTarget, opts: { json?: boolean }, io: Io = defaultIo): Promise<ExitCode> {
  return withClient(target, async (client) => {
    const items = await sw.listSchedules(client);
    if (opts.json) printJson(io, items);
    else if (items.length === 0) print(io, 'No schedules found.');
    else print(io, table(['SCHEDULE', 'STATE', 'NEXT RUN', 'LAST RUN'], items.map((s) => [s.scheduleId, s.paused ? 'paused' : 'active', s.nextActionTimes[0] ?? '', s.recentRuns.at(-1)?.workflowId ?? ''])));
    return EXIT.ok;
  });
}

export async function scheduleDescribeCommand(target: TemporalTarget, id: string, opts: { json?: boolean }, io: Io = defaultIo): Promise<ExitCode> {
  return withClient(target, async (client) => {
    const d = await sw.describeSchedule(client, id);
    if (opts.json) printJson(io, d);
    else
      print(io, [
        `Schedule ${d.scheduleId} (${d.paused ? 'paused' : 'active'})${d.note ? `: ${d.note}` : ''}`,
        `  rollout: ${d.specName ?? '?'} on task queue ${d.taskQueue ?? '?'}, window ${d.windowSeconds ?? '?'}s${d.timezone ? `, time zone ${d.timezone}` : ''}`,
        `  next runs: ${d.nextActionTimes.slice(0, 5).join(', ') || '(none)'}`,
        `  running: ${d.runningWorkflowIds.join(', ') || '(none)'}`,
        `  recent runs: ${d.recentRuns.map((r) => r.workflowId).join(', ') || '(none)'}`,
      ]);
    return EXIT.ok;
  });
}

export async function scheduleActionCommand(target: TemporalTarget, action: 'pause' | 'unpause' | 'delete' | 'trigger', id: string, opts: { json?: boolean; note?: string }, io: Io = defaultIo): Promise<ExitCode> {
  return withClient(target, async (client) => {
    if (action === 'pause') await sw.pauseSchedule(client, id, opts.note);
    else if (action === 'unpause') await sw.unpauseSchedule(client, id, opts.note);
    else if (action === 'trigger') await sw.triggerSchedule(client, id);
    else await sw.deleteSchedule(client, id);
    if (opts.json) printJson(io, { scheduleId: id, action, ok: true });
    else print(io, `Schedule ${id}: ${{ pause: 'paused', unpause: 'unpaused', delete: 'deleted', trigger: 'triggered one run' }[action]}.`);
    return EXIT.ok;
  });
}
