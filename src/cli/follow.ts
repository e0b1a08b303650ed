/**
 * Following a run until it closes (`start --wait`, `status --watch`, the demo): live progress as a
 * redrawn screen, plain lines, or one JSON line per change; then its report. The first poll checks
 * that a worker polls the run's task queue, so a missing worker is named within seconds. Ctrl-C
 * stops following only: it says the rollout keeps running and how to follow or cancel it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { getProgress, getReport, type RolloutStatus } from '../client';
import type { RolloutReport } from '../contracts/rollout';
import type { Io } from './context';
import { LiveView } from './render/live';
import { renderStatus, summaryLine } from './render/status';

export type FollowMode =
  /** The status screen on `io.out` (redrawn on a TTY, a summary line per change otherwise). */
  | 'view'
  /** The same on stderr, keeping stdout for a final JSON document. */
  | 'view-stderr'
  /** One JSON line per change on stdout (`status --watch --json`). */
  | 'json-lines';

export interface FollowOptions {
  runId?: string;
  mode: FollowMode;
  intervalMs?: number;
  io: Io;
  /** Ctrl-C says the rollout continues and exits 130 (default true; the demo handles Ctrl-C itself). */
  explainInterrupt?: boolean;
}

export interface Followed {
  report: RolloutReport;
  runId: string;
  /** The run's last status (the closed run's), for a final screen. */
  last: RolloutStatus;
}

/** Exit code of a signal-ended follow (128 + SIGINT). */
export const INTERRUPTED = 130;

export async function follow(client: Client, workflowId: string, opts: FollowOptions): Promise<Followed> {
  const io = opts.io;
  const view = new LiveView(opts.mode === 'view' ? io.out : (io.err as Io['out']));
  const interval = opts.intervalMs ?? (view.isTty ? 500 : opts.mode === 'json-lines' ? 500 : 1000);
  let runId = opts.runId;
  let queryRun = opts.runId;
  const stop = opts.explainInterrupt === false ? () => {} : interruptHandler(io, workflowId, () => runId);
  try {
    let first = true;
    let lastLine = '';
    let status: RolloutStatus;
    for (;;) {
      status = await getProgress(client, workflowId, { detail: 'problems', ...(queryRun ? { runId: queryRun } : {}), requireWorker: first });
      first = false;
      if (status.executionStatus === 'CONTINUED_AS_NEW') {
        // The run went on as a new Temporal run of the same rollout: follow the latest one.
        queryRun = undefined;
        continue;
      }
      runId ??= status.runId;
      if (opts.mode === 'json-lines') {
        const line = JSON.stringify(status);
        if (line !== lastLine) io.out.write(`${line}\n`);
        lastLine = line;
      } else if (status.executionStatus === 'RUNNING' && status.progress) {
        view.update(renderStatus(status, Date.now()), summaryLine(status));
      }
      if (status.executionStatus !== 'RUNNING') break;
      await sleep(interval);
    }
    view.done();
    const report = await getReport(client, workflowId, { runId });
    return { report, runId: runId ?? status.runId, last: status };
  } finally {
    stop();
  }
}

/** While following: Ctrl-C (or SIGTERM) says the rollout continues, prints the commands, exits 130. */
function interruptHandler(io: Io, workflowId: string, runId: () => string | undefined): () => void {
  const onSignal = (): void => {
    const run = runId();
    io.err.write(
      `\nStopped following. Rollout ${workflowId}${run ? ` (run ${run})` : ''} keeps running on the worker; nothing was cancelled.\n` +
        `  follow it again:  starwave status ${workflowId} --watch\n` +
        `  cancel it:        starwave cancel ${workflowId} --reason "…"\n`,
    );
    process.exit(INTERRUPTED);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}
