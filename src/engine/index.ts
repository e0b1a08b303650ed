/** The pure rollout engine: a state machine from (state, event) to (state, commands). See engine.ts. */
export { RolloutEngine } from './engine';
export { holdsSlot, holdsWhileIn } from './rules';
export { MAX_LAUNCHES_IN_FLIGHT, holderCounts, startability } from './slots';
export { REPORT_FULL_LIMIT, resultOf, sentenceOf, phaseOf, countsOf } from './progress';
export * from './state';
export * from './windows';
export * from './eta';
export type { Rejection } from './control';
export { decodeCarried, decodeFleet, encodeCarried, encodeFleet, packState, unpackState, isPacked, type PackedState } from './codec';
