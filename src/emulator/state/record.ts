/**
 * THE RECORD: every call, restart and status transition in one `seq` order, the source of truth
 * tests assert on. Entries are stamped here; nothing else assigns `seq`.
 */
import { performance } from 'node:perf_hooks';
import type { FaultConfig } from '../schemas';
import type { CallRecord, EmulatorRecord, FaultChangeRecord, ProbeRecord, RecordStats, RestartRecord, TransitionRecord } from '../types';

export type Stamp = { seq: number; atMs: number; tMs: number };

export class Recorder {
  private readonly startedPerf = performance.now();
  private seq = 0;
  private calls: CallRecord[] = [];
  private restarts: RestartRecord[] = [];
  private transitions: TransitionRecord[] = [];
  private faultChanges: FaultChangeRecord[] = [];
  private probes: ProbeRecord[] = [];

  /** ms since the emulator started (monotonic, performance.now based). */
  tMs(): number {
    return Math.round((performance.now() - this.startedPerf) * 1000) / 1000;
  }

  stamp(): Stamp {
    return { seq: this.seq++, atMs: Date.now(), tMs: this.tMs() };
  }

  /** The next seq to be assigned. */
  nextSeq(): number {
    return this.seq;
  }

  recordCall(call: Omit<CallRecord, 'seq' | 'atMs' | 'tMs'>): CallRecord {
    const entry: CallRecord = { ...this.stamp(), ...call };
    this.calls.push(entry);
    return entry;
  }

  /** Keeps the entry itself (not a copy): restarts are updated in place when they end. */
  addRestart(restart: RestartRecord): void {
    this.restarts.push(restart);
  }

  /** Restarts still in the record, for updates in place (e.g. a forced status fails pending ones). */
  liveRestarts(): readonly RestartRecord[] {
    return this.restarts;
  }

  addTransition(transition: Omit<TransitionRecord, 'seq' | 'atMs' | 'tMs'>): TransitionRecord {
    const entry: TransitionRecord = { ...this.stamp(), ...transition };
    this.transitions.push(entry);
    return entry;
  }

  addProbe(probe: Omit<ProbeRecord, 'seq' | 'atMs' | 'tMs'>): void {
    this.probes.push({ ...this.stamp(), ...probe });
  }

  addFaultChange(faults: FaultConfig): void {
    this.faultChanges.push({ ...this.stamp(), faults: structuredClone(faults) });
  }

  record(since = 0): EmulatorRecord {
    const keep = <T extends { seq: number }>(list: T[]): T[] => list.filter((e) => e.seq >= since).map((e) => ({ ...e }));
    return {
      calls: keep(this.calls),
      restarts: keep(this.restarts),
      transitions: keep(this.transitions),
      faultChanges: keep(this.faultChanges),
      probes: keep(this.probes),
      stats: this.stats(),
      nextSeq: this.seq,
    };
  }

  stats(): RecordStats {
    const stats: RecordStats = { callsByAction: {}, callsByRegion: {}, callsByRegionAction: {}, restartsByInstance: {}, foreignRestartsByInstance: {}, probesByInstance: {} };
    const bump = (map: Record<string, number>, key: string): void => {
      map[key] = (map[key] ?? 0) + 1;
    };
    for (const call of this.calls) {
      bump(stats.callsByAction, call.action);
      bump(stats.callsByRegion, call.region);
      bump(stats.callsByRegionAction, `${call.region}/${call.action}`);
    }
    for (const restart of this.restarts) {
      bump(restart.origin === 'foreign' ? stats.foreignRestartsByInstance! : stats.restartsByInstance, restart.instanceId);
    }
    for (const probe of this.probes) if (probe.instanceId) bump(stats.probesByInstance!, probe.instanceId);
    return stats;
  }

  clear(): void {
    this.seq = 0;
    this.calls = [];
    this.restarts = [];
    this.transitions = [];
    this.faultChanges = [];
    this.probes = [];
  }
}
