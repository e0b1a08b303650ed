/** The CLI's renderers: status (states, in flight, blocked, windows, audit), reports in every format, control replies. */
import { describe, expect, it } from 'vitest';
import type { RolloutStatus } from '../../src/client';
import type { ControlAck, RolloutProgress, RolloutReport } from '../../src/contracts/rollout';
import { renderAck } from '../../src/cli/render/ack';
import { formatSeconds, formatTime } from '../../src/cli/render/format';
import { renderReport, reportSummary } from '../../src/cli/render/report';
import { renderStatus, summaryLine } from '../../src/cli/render/status';

const T0 = Date.UTC(2026, 5, 7, 2, 0, 0);
const counts = { targets: 6, restarted: 2, failed: 1, skipped: 0, deferred: 0, notStarted: 0, unknown: 0, inFlight: 2, waiting: 0, down: 3, pending: 1 };

function progress(extra: Partial<RolloutProgress> = {}): RolloutProgress {
  return {
    rolloutId: 'starwave-rollout-nightly',
    name: 'nightly',
    trigger: 'cli:alice',
    phase: 'running',
    paused: false,
    cancelRequested: false,
    currentWave: 2,
    waves: [
      { number: 1, size: 1, regions: ['cn-shanghai'], status: 'done', approvalRequired: false, restarted: 1, failed: 0, done: 1 },
      { number: 2, size: 5, regions: ['cn-hangzhou'], status: 'running', approvalRequired: true, approvedBy: 'cli:bob', restarted: 1, failed: 1, done: 2 },
    ],
    counts,
    failureBudget: 1,
    failures: 1,
    limits: { concurrency: { global: 2, stallTimeoutSeconds: 1800 }, failureBudget: { total: 1 } },
    startedAtMs: T0,
    eta: { p50Ms: 120_000, p90Ms: 180_000 },
    etaMs: 120_000,
    inFlight: [
      { region: 'cn-hangzhou', instanceId: 'c-aaaaaaaaaaaaaaaa', wave: 2, state: 'restarting', sinceMs: T0 + 10_000, sentAtMs: T0 + 10_000, seenRestarting: true, progress: 40, step: 'restart BE' },
      { region: 'cn-hangzhou', instanceId: 'c-bbbbbbbbbbbbbbbb', wave: 2, state: 'waiting', sinceMs: T0 + 20_000, waitCause: 'busy' },
    ],
    problems: [],
    instances: [{ region: 'cn-hangzhou', instanceId: 'c-cccccccccccccccc', wave: 2, outcome: 'failed', failure: 'confirm_timeout', detail: 'not running within the confirm timeout after our restart (last status restarting)' }],
    audit: [
      { atMs: T0, action: 'start', by: 'cli:alice' },
      { atMs: T0 + 5_000, action: 'approve', by: 'cli:bob', detail: 'wave 2' },
    ],
    reads: 12,
    runs: 1,
    ...extra,
  };
}

const status = (p: RolloutProgress, executionStatus: RolloutStatus['executionStatus'] = 'RUNNING'): RolloutStatus => ({ workflowId: p.rolloutId, runId: 'run-1', executionStatus, progress: p });

describe('status', () => {
  it('shows the run, the state, in-flight restarts with state/for/progress/step, failures and who did what', () => {
    const text = renderStatus(status(progress()), T0 + 70_000).join('\n');
    expect(text).toContain('Rollout starwave-rollout-nightly  run run-1  [running]  wave 2/2  elapsed 1m10s  ETA 2m00s (p90 3m00s)');
    expect(text).toContain('started 2026-06-07 02:00:00 Z by cli:alice');
    expect(text).toMatch(/c-aaaaaaaaaaaaaaaa\s+cn-hangzhou\s+2\s+restarting\s+1m00s\s+40%\s+restart BE/);
    expect(text).toMatch(/c-bbbbbbbbbbbbbbbb\s+cn-hangzhou\s+2\s+waiting \(busy\)\s+50s/);
    expect(text).toContain('running (approved by cli:bob)');
    expect(text).toMatch(/c-cccccccccccccccc .*failed \(confirm_timeout\)/);
    expect(text).toMatch(/approve\s+cli:bob\s+wave 2/);
  });

  it('names paused, awaiting approval and cancelling as states of their own', () => {
    const paused = renderStatus(status(progress({ phase: 'paused', paused: true, audit: [{ atMs: T0, action: 'pause', by: 'cli:carol' }] })), T0).join('\n');
    expect(paused).toContain('[paused]');
    expect(paused).toContain('PAUSED by cli:carol: no new restarts until "starwave resume starwave-rollout-nightly"');
    const gate = renderStatus(status(progress({ phase: 'awaiting_approval' })), T0).join('\n');
    expect(gate).toContain('[awaiting approval]');
    expect(gate).toContain('starwave approve starwave-rollout-nightly --wave 2');
    const cancelling = renderStatus(
      status(progress({ phase: 'cancelling', cancelRequested: true, cancelReason: 'freeze', audit: [{ atMs: T0, action: 'cancel', by: 'cli:dave', detail: 'freeze' }] })),
      T0,
    ).join('\n');
    expect(cancelling).toContain('[cancelling]');
    expect(cancelling).toContain('CANCELLING (asked by cli:dave: freeze)');
  });

  it('shows what blocks the rollout and when it stops, and instances waiting for their window', () => {
    const p = progress({
      blocked: {
        sinceMs: T0 + 60_000,
        stopsAtMs: T0 + 60_000 + 1_800_000,
        holders: [{ region: 'cn-hangzhou', instanceId: 'c-dddddddddddddddd', status: 'updating', sinceMs: T0, reason: 'down before its turn (updating)' }],
      },
      awaitingWindow: [{ region: 'cn-hangzhou', instanceId: 'c-eeeeeeeeeeeeeeee', opensAtMs: T0 + 3_600_000 }],
      stopSentence: undefined,
    });
    const text = renderStatus(status(p), T0 + 120_000).join('\n');
    expect(text).toContain('Blocked since 2026-06-07 02:01:00 Z (1m00s): down instances hold every slot');
    expect(text).toContain('The rollout stops (stopped_stalled) at 2026-06-07 02:31:00 Z (in 29m00s) unless a slot frees.');
    expect(text).toMatch(/c-dddddddddddddddd\s+cn-hangzhou\s+updating\s+2m00s\s+down before its turn/);
    expect(text).toContain('starwave skip starwave-rollout-nightly c-dddddddddddddddd');
    expect(text).toContain('Waiting for their maintenance window (1)');
    expect(text).toMatch(/c-eeeeeeeeeeeeeeee\s+cn-hangzhou\s+2026-06-07 03:00:00 Z \(in 58m00s\)/);
    expect(summaryLine(status(p))).toContain('BLOCKED');
  });

  it('prints the stop sentence and says when the workflow itself failed', () => {
    const stopped = renderStatus(status(progress({ phase: 'stopped_budget', stopSentence: 'Stopped: failure 2 of budget 1.' }), 'COMPLETED'), T0).join('\n');
    expect(stopped).toContain('[stopped by the failure budget]');
    expect(stopped).toContain('Stopped: failure 2 of budget 1.');
    const failed = renderStatus({ workflowId: 'starwave-rollout-x', runId: 'r', executionStatus: 'FAILED', failure: 'The rollout spec is invalid' }, T0).join('\n');
    expect(failed).toBe('Rollout starwave-rollout-x  run r: the workflow is failed: The rollout spec is invalid.');
  });
});

describe('reports', () => {
  const report: RolloutReport = {
    ...progress({
      phase: 'cancelled',
      cancelRequested: true,
      cancelReason: 'release freeze',
      stopSentence: 'Cancelled by cli:dave: release freeze.',
      audit: [
        { atMs: T0, action: 'start', by: 'cli:alice' },
        { atMs: T0 + 1_000, action: 'pause', by: 'cli:bob' },
        { atMs: T0 + 2_000, action: 'resume', by: 'cli:bob' },
        { atMs: T0 + 3_000, action: 'setLimits', by: 'api:deploy-bot', detail: '{"concurrency":{"global":3}}' },
        { atMs: T0 + 4_000, action: 'cancel', by: 'cli:dave', detail: 'release freeze' },
      ],
      inFlight: [],
    }),
    phase: 'cancelled',
    finishedAtMs: T0 + 65_000,
  };

  it('carries the run, the cancel reason and who did what in table, markdown and json', () => {
    const tableText = renderReport(report, 'table', { runId: 'run-9' });
    const markdown = renderReport(report, 'markdown', { runId: 'run-9' });
    const json = JSON.parse(renderReport(report, 'json', { runId: 'run-9' })) as RolloutReport & { runId: string };
    for (const text of [tableText, markdown]) {
      expect(text).toContain('run-9');
      expect(text).toContain('release freeze');
      for (const who of ['cli:alice', 'cli:bob', 'api:deploy-bot', 'cli:dave']) expect(text).toContain(who);
      expect(text).toMatch(/setLimits/);
    }
    expect(markdown).toContain('- Cancel reason: release freeze');
    expect(markdown).toContain('## Who did what');
    expect(markdown).toMatch(/^\| .* \| cancel \| cli:dave \| release freeze \|$/m);
    expect(json.runId).toBe('run-9');
    expect(json.cancelReason).toBe('release freeze');
    expect(json.audit.map((a) => a.by)).toEqual(['cli:alice', 'cli:bob', 'cli:bob', 'api:deploy-bot', 'cli:dave']);
  });

  it('ends with a summary naming the outcome and who cancelled', () => {
    expect(reportSummary(report, { runId: 'run-9' })).toBe(
      'Rollout starwave-rollout-nightly (run run-9) cancelled by cli:dave (release freeze) in 1m05s: 2 restarted, 1 failed (budget 1), 0 skipped, 0 not started of 6.',
    );
  });
});

describe('control replies', () => {
  it('show the state right after the action', () => {
    const ack: ControlAck = {
      phase: 'cancelling',
      paused: false,
      cancelRequested: true,
      currentWave: 2,
      counts,
      limits: { concurrency: { global: 2, perRegion: 1, stallTimeoutSeconds: 1800 }, failureBudget: { total: 1 } },
      message: 'Cancelling: no new restarts; 2 in flight are watched to the end; the rest is reported not started.',
    };
    expect(renderAck('starwave-rollout-nightly', ack)).toEqual([
      'starwave-rollout-nightly: Cancelling: no new restarts; 2 in flight are watched to the end; the rest is reported not started.',
      '  now: cancelling, wave 2; 2/6 restarted, 1 failed, 2 in flight, 3 down',
      '  limits: concurrency 2 (1 per region), failure budget 1',
    ]);
  });
});

describe('formats', () => {
  it('prints times in a zone and windows as durations', () => {
    expect(formatTime(T0, 'Asia/Shanghai')).toBe('2026-06-07 10:00:00 +08:00');
    expect(formatTime(T0)).toBe('2026-06-07 02:00:00 Z');
    expect(formatSeconds(7200)).toBe('2h');
    expect(formatSeconds(5400)).toBe('1h30m');
    expect(formatSeconds(90)).toBe('1m30s');
  });
});
