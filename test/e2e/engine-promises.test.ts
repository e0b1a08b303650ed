/**
 * The promises a rollout keeps when things go wrong, end to end (real dev server, real worker,
 * emulator over HTTP), each judged from the emulator's record:
 * - a restart that hangs never lets the targets that are down exceed the limits;
 * - the account's RAM policy revoked mid-rollout ends it `failed` within a few poll intervals, at
 *   no more than one call per poll interval per region after the first refusals;
 * - a target someone else is restarting waits, then gets exactly one restart of ours;
 * - a Temporal-level cancellation is the graceful cancel, with every instance in the report;
 * - control that arrives before the first wave starts is not lost; cancel works while resolving.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { downIntervals, maxConcurrentRestarting, multipleRestarts, restartsAfterForeignSettled, restartsDuringForeign } from '../../src/emulator/invariants';
import { cancelUpdate, pauseUpdate, progressQuery, resumeUpdate, skipUpdate } from '../../src/contracts/messages';
import type { RolloutProgress, RolloutReport } from '../../src/contracts/rollout';
import { fleet, startStack, type Stack } from '../support/stack';
import { until } from '../support/wait';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const poll = 0.2;
const fastPolicy = { pollIntervalSeconds: poll, confirmTimeoutSeconds: 30, heartbeatTimeoutSeconds: 5 };


describe('promises kept when things go wrong', () => {
  it('a hung restart keeps its slot: the targets down never exceed the limits, and the rollout stops stalled', async () => {
    stack = await startStack(fleet(['cn-hangzhou'], 12, 300));
    const ids = stack.emulator.instances().map((i) => i.instanceId);
    // The third and fourth restarts hang in `restarting` forever.
    stack.emulator.patchFaults({ restarts: { stuckInstanceIds: [ids[2]!, ids[3]!] } });
    const report = await stack.runRollout({
      name: 'hung',
      targets: { instances: ids.map((instanceId) => ({ region: 'cn-hangzhou', instanceId })) },
      waves: { sizes: ['100%'], order: 'listing' },
      concurrency: { global: 2, perRegion: 2, stallTimeoutSeconds: 3 },
      failureBudget: { total: 5 },
      instance: { ...fastPolicy, confirmTimeoutSeconds: 2 },
    });
    const record = stack.emulator.record();
    // Down = restarting, from each restart of ours to its end (stuck ones never end): never more than 2.
    expect(maxConcurrentRestarting(record)).toBeLessThanOrEqual(2);
    expect(multipleRestarts(record)).toEqual([]);
    // Launches go in pairs, so their order within a pair is the network's: compare as sets.
    expect(record.restarts.map((r) => r.instanceId).sort()).toEqual(ids.slice(0, 4).sort());
    expect(report.phase).toBe('stopped_stalled');
    const byId = new Map(report.instances.map((r) => [r.instanceId, r]));
    for (const id of [ids[2]!, ids[3]!]) expect(byId.get(id)).toMatchObject({ outcome: 'failed', failure: 'confirm_timeout', stillDown: true });
    expect(report.instances.filter((r) => r.outcome === 'not_started').every((r) => r.notStartedReason === 'stalled')).toBe(true);
    expect(report.counts).toMatchObject({ restarted: 2, failed: 2, notStarted: 8 });
    expect(report.stopSentence).toMatch(/held every slot/);
  });

  it('an operator releases hung instances with skip; launches resume only after the release', async () => {
    stack = await startStack(fleet(['cn-hangzhou'], 6, 300));
    const ids = stack.emulator.instances().map((i) => i.instanceId);
    stack.emulator.patchFaults({ restarts: { stuckInstanceIds: [ids[0]!] } });
    const handle = await stack.startRollout({
      name: 'skip-hung',
      targets: { instances: ids.map((instanceId) => ({ region: 'cn-hangzhou', instanceId })) },
      waves: { sizes: ['100%'], order: 'listing' },
      concurrency: { global: 1, stallTimeoutSeconds: 600 },
      failureBudget: { total: 1 },
      instance: { ...fastPolicy, confirmTimeoutSeconds: 2 },
    });
    const progress = (): Promise<RolloutProgress> => handle.query(progressQuery, 'summary');
    const blocked = await until('the rollout to report it is blocked', async () => (await progress()).blocked);
    expect(blocked.holders.map((h) => h.instanceId)).toEqual([ids[0]]);
    expect(stack.emulator.record().restarts).toHaveLength(1);
    const before = stack.emulator.record().nextSeq;
    const ack = await handle.executeUpdate(skipUpdate, { args: [{ instanceId: ids[0]!, by: 'test:operator' }] });
    expect(ack.message).toMatch(/released/);
    const report = (await handle.result()) as RolloutReport;
    expect(report.phase).toBe('completed');
    expect(report.instances.find((r) => r.instanceId === ids[0])).toMatchObject({ outcome: 'failed', releasedBy: 'test:operator' });
    const later = stack.emulator.record(before).restarts.map((r) => r.instanceId);
    expect(later).toEqual(ids.slice(1)); // every other restart came after the release
    expect(report.audit.some((a) => a.action === 'skip' && a.by === 'test:operator')).toBe(true);
  });

  it('RAM revoked mid-rollout: the rollout fails within a few poll intervals, at most one call per poll interval per region after the first refusals', async () => {
    stack = await startStack(fleet(['cn-hangzhou', 'cn-shanghai'], 8, 1_500));
    const pollSeconds = 0.5;
    const handle = await stack.startRollout({
      name: 'ram-revoked',
      targets: { selectors: [{ regions: ['cn-hangzhou', 'cn-shanghai'] }] },
      regions: { mode: 'parallel' },
      waves: { sizes: ['100%'] },
      concurrency: { global: 2 },
      failureBudget: { total: 3 },
      instance: { ...fastPolicy, pollIntervalSeconds: pollSeconds },
    });
    await until('three restarts to take effect', () => (stack!.emulator.record().restarts.length >= 3 ? true : undefined));
    stack.emulator.patchFaults({ ramDeny: {} });
    const revokedAt = Date.now();
    const report = (await handle.result()) as RolloutReport;
    const endedAfterMs = Date.now() - revokedAt;
    const record = stack.emulator.record();

    expect(report.phase).toBe('failed');
    expect(report.stopSentence).toMatch(/Forbidden\.RAM/);
    expect(report.stopSentence).toMatch(/sr:(DescribeInstances|RestartInstance)/);
    // Bounded time: three refused polls (plus one interval of slack per region and the launch in flight).
    expect(endedAfterMs).toBeLessThan(10 * pollSeconds * 1000 + 5_000);
    // Bounded calls: after the first refusal, at most one call per poll interval per region (+1 each for the first round).
    const refused = record.calls.filter((c) => c.fault === 'ram-deny');
    expect(refused.length).toBeGreaterThan(0);
    const firstRefusal = Math.min(...refused.map((c) => c.tMs));
    const lastCall = Math.max(...record.calls.map((c) => c.tMs));
    const intervals = (lastCall - firstRefusal) / (pollSeconds * 1000);
    process.stderr.write(
      `[ram-revoked] failed ${(endedAfterMs / 1000).toFixed(1)} s after the revocation (poll ${pollSeconds} s); calls after the first refusal, over ${intervals.toFixed(1)} poll intervals: ` +
        ['cn-hangzhou', 'cn-shanghai'].map((r) => `${r} ${record.calls.filter((c) => c.region === r && c.tMs > firstRefusal).length}`).join(', ') +
        '\n',
    );
    for (const region of ['cn-hangzhou', 'cn-shanghai']) {
      const after = record.calls.filter((c) => c.region === region && c.tMs > firstRefusal);
      expect(after.length, `${region}: ${after.length} calls in ${intervals.toFixed(1)} poll intervals`).toBeLessThanOrEqual(Math.ceil(intervals) + 2);
    }
    // Nothing restarted after the revocation took effect, nothing twice; restarts in flight are not claimed.
    expect(multipleRestarts(record)).toEqual([]);
    expect(record.restarts.filter((r) => r.tMs > firstRefusal)).toEqual([]);
    const claimed = report.instances.filter((r) => r.outcome === 'restarted').map((r) => r.instanceId);
    for (const id of claimed) expect(record.transitions.some((t) => t.instanceId === id && t.to === 'running' && t.cause === 'restart-complete')).toBe(true);
    expect(report.counts.targets).toBe(16);
    expect(report.instances).toHaveLength(16);
  });

  it('an instance of a later region that goes down mid-rollout counts against the global limit: launches wait for a fresh listing of every region with targets to go', async () => {
    // Restarts longer than STALE_AFTER_POLLS (8) poll intervals, so each launch finds the other region's listing too old.
    stack = await startStack(fleet(['cn-hangzhou', 'cn-shanghai'], 3, 2_500));
    const sh = stack.emulator.instances().filter((i) => i.regionId === 'cn-shanghai').map((i) => i.instanceId);
    const handle = await stack.startRollout({
      name: 'later-region-down',
      targets: { selectors: [{ regions: ['cn-hangzhou', 'cn-shanghai'] }] },
      regions: { order: ['cn-hangzhou'], mode: 'sequential' },
      waves: { sizes: ['100%'] },
      concurrency: { global: 1 },
      instance: { ...fastPolicy, notRunning: 'wait', notRunningWaitSeconds: 60 },
    });
    // Once our first restart is under way (in cn-hangzhou), someone restarts a cn-shanghai instance: only a
    // new listing of cn-shanghai can show it.
    await until('our first restart', () => stack!.emulator.record().restarts.length >= 1 || undefined);
    stack.emulator.foreignRestart(sh[0]!, { durationMs: 8_000 });
    const report = (await handle.result()) as RolloutReport;
    const record = stack.emulator.record();
    // Someone else may take an instance down while ours restarts (2 down then); what starwave controls is that
    // none of its launches finds another instance down: counting the foreign restart, at most 1 right after each.
    const intervals = downIntervals(record, { includeForeign: true });
    const downAt = (seq: number): number => new Set(intervals.filter((i) => i.startSeq <= seq && (i.endSeq === undefined || i.endSeq > seq)).map((i) => i.instanceId)).size;
    const ourLaunches = record.restarts.filter((r) => r.origin !== 'foreign');
    expect(ourLaunches.map((r) => downAt(r.seq))).toEqual(ourLaunches.map(() => 1));
    const foreignStart = record.restarts.find((r) => r.origin === 'foreign')!;
    const foreignEnd = record.transitions.find((t) => t.instanceId === sh[0] && t.to === 'running' && t.seq > foreignStart.seq)!;
    expect(foreignEnd).toBeDefined();
    // Our second restart began only after the foreign one ended.
    const ours = record.restarts.filter((r) => r.origin !== 'foreign');
    expect(ours[1]!.seq).toBeGreaterThan(foreignEnd.seq);
    expect(multipleRestarts(record)).toEqual([]);
    expect(report.phase).toBe('completed');
    expect(report.counts).toMatchObject({ targets: 6, restarted: 6 });
  });

  it('a target restarting for another reason waits, then gets exactly one restart of ours; the report says so', async () => {
    stack = await startStack(fleet(['cn-hangzhou'], 4, 300));
    const ids = stack.emulator.instances().map((i) => i.instanceId);
    const target = ids[1]!;
    // Long enough to still be under way when its turn comes.
    stack.emulator.foreignRestart(target, { durationMs: 8_000 });
    const report = await stack.runRollout({
      name: 'foreign',
      targets: { instances: ids.map((instanceId) => ({ region: 'cn-hangzhou', instanceId })) },
      waves: { sizes: ['100%'], order: 'listing' },
      concurrency: { global: 1 },
      instance: { ...fastPolicy, notRunning: 'wait', notRunningWaitSeconds: 60 },
    });
    const record = stack.emulator.record();
    expect(restartsAfterForeignSettled(record, target)?.length).toBe(1);
    expect(restartsDuringForeign(record)).toEqual([]);
    expect(multipleRestarts(record)).toEqual([]);
    const r = report.instances.find((x) => x.instanceId === target)!;
    expect(r).toMatchObject({ outcome: 'restarted' });
    expect(r.adopted).toBeUndefined(); // never "adopted": we did not send the foreign restart
    expect(r.waited).toMatchObject({ cause: 'restarting', status: 'restarting' });
    expect(r.detail).toMatch(/restarted by someone else/);
    expect(report.phase).toBe('completed');
  });

  it('a Temporal-level cancellation is the graceful cancel: in-flight restarts finish, every instance is in the report', async () => {
    stack = await startStack(fleet(['cn-hangzhou'], 10, 1_200));
    const handle = await stack.startRollout({
      name: 'temporal-cancel',
      targets: { selectors: [{ regions: ['cn-hangzhou'] }] },
      waves: { sizes: ['100%'] },
      concurrency: { global: 2 },
      instance: fastPolicy,
    });
    await until('three restarts', () => (stack!.emulator.record().restarts.length >= 3 ? true : undefined));
    await handle.cancel();
    const report = (await handle.result()) as RolloutReport;
    const description = await handle.describe();
    const record = stack.emulator.record();
    expect(description.status.name).toBe('COMPLETED');
    expect(report.phase).toBe('cancelled');
    expect(report.instances).toHaveLength(10);
    // Every restart that was sent ran to its end (watched), and was reported restarted.
    for (const r of record.restarts) expect(r.outcome).toBe('running');
    expect(report.counts.restarted).toBe(record.restarts.length);
    expect(report.instances.filter((r) => r.outcome === 'not_started').every((r) => r.notStartedReason === 'cancelled')).toBe(true);
    expect(report.audit.some((a) => a.action === 'cancel' && a.by === 'temporal')).toBe(true);
  });

  it('a pause sent right after the start is not lost: nothing restarts until resume', async () => {
    stack = await startStack(fleet(['cn-hangzhou'], 4, 200));
    const handle = await stack.startRollout({
      name: 'early-pause',
      targets: { selectors: [{ regions: ['cn-hangzhou'] }] },
      waves: { sizes: ['100%'] },
      instance: fastPolicy,
    });
    const ack = await handle.executeUpdate(pauseUpdate, { args: [{ by: 'test' }] });
    expect(ack.paused).toBe(true);
    await until('the first wave to be planned', async () => ((await handle.query(progressQuery, 'summary')).phase === 'paused' ? true : undefined));
    // Long enough for several polls: a lost pause would have restarted something by now.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(stack.emulator.record().restarts).toHaveLength(0);
    await handle.executeUpdate(resumeUpdate, { args: [{ by: 'test' }] });
    const report = (await handle.result()) as RolloutReport;
    expect(report.phase).toBe('completed');
    expect(stack.emulator.record().restarts).toHaveLength(4);
  });

  it('cancel is honoured while the rollout is still resolving its targets', async () => {
    stack = await startStack({ ...fleet(['cn-hangzhou'], 3, 200), faults: { latency: { fixedMs: 20_000, actions: ['DescribeInstances'] } } });
    const handle = await stack.startRollout({ name: 'cancel-resolving', targets: { selectors: [{ regions: ['cn-hangzhou'] }] }, instance: fastPolicy });
    await until('the rollout to be resolving', async () => ((await handle.query(progressQuery, 'summary')).phase === 'resolving' ? true : undefined));
    const asked = Date.now();
    await handle.executeUpdate(cancelUpdate, { args: [{ reason: 'wrong spec', by: 'test' }] });
    const report = (await handle.result()) as RolloutReport;
    expect(Date.now() - asked).toBeLessThan(10_000);
    expect(report.phase).toBe('cancelled');
    expect(report.cancelReason).toBe('wrong spec');
    expect(stack.emulator.record().restarts).toHaveLength(0);
  });
});
