/**
 * The engine's state carried across continue-as-new. Two layers: `packState` — short keys, regions and
 * states as small numbers, times relative to the rollout's start, a clean restart as a tuple — and
 * `encodeCarried`, that JSON deflated to bytes (a binary payload). Deflate because the JSON alone is not
 * small enough: 10,000 targets with their own names, maintenance windows and estimates pack to ~1.1 MB
 * (measured with random 16-hex ids and 30-character names), over half of Temporal's 2 MB payload limit and
 * growing with longer names; deflated they take ~230 KB (4.6x). fflate's browser build is pure
 * JavaScript (no Node module), so it runs in the workflow sandbox, and deflate is deterministic.
 * `decodeCarried` also reads the plain packed object and the raw state that earlier runs carried.
 * `unpackState(packState(s))` is `s` (property-tested). The resolve activity's answer (the fleet) is deflated the
 * same way (`encodeFleet` / `decodeFleet`). Pure.
 */
import { deflateSync, inflateSync, strFromU8, strToU8 } from 'fflate/browser';
import type { ResolvedFleet } from '../contracts/fleet';
import type { EngineState, TargetRec, TargetState } from './state';

const STATES: readonly TargetState[] = ['queued', 'launching', 'waiting', 'restarting', 'checking', 'restarted', 'failed', 'skipped', 'deferred', 'not_started', 'unknown'];

/** Short key per field of a target. Adding a field to TargetRec without a key here fails the type check. */
const KEYS = {
  id: 'i',
  region: 'r',
  name: 'n',
  wave: 'w',
  s: 's',
  since: 't',
  est: 'e',
  est90: 'E',
  mp: 'm',
  downQueued: 'q',
  down: 'd',
  st: 'S',
  sent: 'x',
  seen: 'v',
  adopted: 'a',
  unsure: 'u',
  attempts: 'A',
  requestId: 'R',
  restartNotObserved: 'o',
  waitCause: 'c',
  waitFrom: 'f',
  waitUntil: 'F',
  failure: 'k',
  errorClass: 'C',
  apiCode: 'p',
  apiMessage: 'P',
  notStarted: 'N',
  skippedBy: 'b',
  confirmedAt: 'y',
  durationMs: 'D',
  healthUntil: 'h',
  healthReason: 'H',
  fe: 'l',
  progress: 'g',
  step: 'G',
  progressAt: 'j',
  releasedBy: 'B',
  skipRequestedBy: 'Q',
  waitWindowAt: 'W',
  waited: 'z',
} as const satisfies Record<keyof TargetRec, string>;

/** Epoch-ms fields, stored relative to the rollout's start. */
const TIMES: ReadonlySet<keyof TargetRec> = new Set(['since', 'sent', 'waitFrom', 'waitUntil', 'confirmedAt', 'healthUntil', 'waitWindowAt', 'progressAt']);

const FIELDS = Object.keys(KEYS) as Array<keyof TargetRec>;
const BY_KEY = new Map<string, keyof TargetRec>(FIELDS.map((f) => [KEYS[f], f]));

export interface PackedState {
  packed: 1;
  /** The state without its targets. */
  rest: Omit<EngineState, 'targets'>;
  regions: string[];
  /**
   * One entry per target: a clean restart (the bulk of a large rollout) as the tuple
   * `[id, region, wave, sent, confirmedAt, name?]`, anything else as an object with short keys.
   */
  targets: Array<Record<string, unknown> | CleanRestart>;
}

type CleanRestart = [string, number, number, number, number] | [string, number, number, number, number, string];

const CLEAN_FIELDS: ReadonlySet<string> = new Set(['id', 'region', 'name', 'wave', 's', 'sent', 'confirmedAt', 'durationMs']);

/** A restart with nothing to report beyond when it was sent and confirmed. */
function isClean(t: TargetRec): boolean {
  if (t.s !== 'restarted' || t.sent === undefined || t.confirmedAt === undefined || t.durationMs !== t.confirmedAt - t.sent) return false;
  return Object.keys(t).every((k) => CLEAN_FIELDS.has(k) && (t as unknown as Record<string, unknown>)[k] !== undefined);
}

export function isPacked(value: unknown): value is PackedState {
  return typeof value === 'object' && value !== null && (value as { packed?: unknown }).packed === 1;
}

export function packState(state: EngineState): PackedState {
  const { targets, ...rest } = state;
  const base = state.startedAtMs;
  const regions: string[] = [];
  const regionIndex = new Map<string, number>();
  const regionOf = (region: string): number => {
    let i = regionIndex.get(region);
    if (i === undefined) {
      i = regions.length;
      regions.push(region);
      regionIndex.set(region, i);
    }
    return i;
  };
  const packed = targets.map((t): Record<string, unknown> | CleanRestart => {
    if (isClean(t)) {
      const tuple: CleanRestart = [t.id, regionOf(t.region), t.wave, t.sent! - base, t.confirmedAt! - base];
      return t.name !== undefined ? [...tuple, t.name] : tuple;
    }
    const out: Record<string, unknown> = {};
    for (const field of FIELDS) {
      const value = t[field];
      if (value === undefined) continue;
      const key = KEYS[field];
      if (field === 'region') out[key] = regionOf(value as string);
      else if (field === 's') out[key] = STATES.indexOf(value as TargetState);
      else if (TIMES.has(field)) out[key] = (value as number) - base;
      else if (value === true) out[key] = 1;
      else out[key] = value;
    }
    return out;
  });
  return { packed: 1, rest: JSON.parse(JSON.stringify(rest)) as PackedState['rest'], regions, targets: packed };
}

const BOOLEAN_FIELDS: ReadonlySet<keyof TargetRec> = new Set(['downQueued', 'down', 'seen', 'adopted', 'unsure', 'restartNotObserved']);

export function unpackState(p: PackedState): EngineState {
  const base = p.rest.startedAtMs;
  const targets = p.targets.map((o) => {
    if (Array.isArray(o)) {
      const [id, region, wave, sent, confirmedAt, name] = o;
      return {
        id,
        region: p.regions[region]!,
        ...(name !== undefined ? { name } : {}),
        wave,
        s: 'restarted',
        sent: sent + base,
        confirmedAt: confirmedAt + base,
        durationMs: confirmedAt - sent,
      } as TargetRec;
    }
    const t: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(o)) {
      const field = BY_KEY.get(key);
      if (!field) continue;
      if (field === 'region') t[field] = p.regions[value as number];
      else if (field === 's') t[field] = STATES[value as number];
      else if (TIMES.has(field)) t[field] = (value as number) + base;
      else if (BOOLEAN_FIELDS.has(field)) t[field] = true;
      else t[field] = value;
    }
    return t as unknown as TargetRec;
  });
  return { ...(JSON.parse(JSON.stringify(p.rest)) as Omit<EngineState, 'targets'>), targets };
}

/** The state as continue-as-new carries it: packed, as JSON, deflated. */
export function encodeCarried(state: EngineState): Uint8Array {
  return deflateSync(strToU8(JSON.stringify(packState(state))), { level: 6 });
}

/** Bytes (Uint8Array from another realm too: the workflow sandbox has its own). */
function isBytes(value: unknown): value is Uint8Array {
  return Object.prototype.toString.call(value) === '[object Uint8Array]';
}

/** What a run was started with by continue-as-new: deflated bytes, or the packed object / raw state of earlier runs. */
export function decodeCarried(value: Uint8Array | PackedState | EngineState): EngineState {
  if (isBytes(value)) return unpackState(JSON.parse(strFromU8(inflateSync(value))) as PackedState);
  return isPacked(value) ? unpackState(value) : value;
}

/**
 * The resolve activity's answer as bytes: the fleet's JSON deflated. For the same reason as the carried state: the
 * plain answer for 10,000 targets with 30-character names is ~2 MB of JSON, Temporal's payload limit, so such a
 * fleet could not even be resolved; deflated it is a tenth of that. A bare Uint8Array, because Temporal's payload
 * converter sends only top-level bytes as binary (bytes inside an object would become JSON numbers).
 */
export function encodeFleet(fleet: ResolvedFleet): Uint8Array {
  return deflateSync(strToU8(JSON.stringify(fleet)), { level: 6 });
}

/** The resolve activity's answer: deflated bytes (encodeFleet), or the plain fleet earlier workers answered with. */
export function decodeFleet(value: Uint8Array | ResolvedFleet): ResolvedFleet {
  return isBytes(value) ? (JSON.parse(strFromU8(inflateSync(value))) as ResolvedFleet) : value;
}
