/** What the parts of the emulator's world share: the record, the timers, the PRNG streams and the faults. */
import type { RandomStreams } from '../prng';
import type { FaultConfig } from '../schemas';
import type { InstanceTimers } from './timers';
import type { Recorder } from './record';

export interface WorldContext {
  readonly regions: readonly string[];
  readonly recorder: Recorder;
  readonly timers: InstanceTimers;
  /** Replaced when a fleet is seeded with another PRNG seed: read it at the time of use. */
  readonly random: RandomStreams;
  readonly faults: FaultConfig;
}
