/**
 * The control API `/_emulator/*` (JSON, unsigned) that tests, the benchmark and the demo use to
 * seed the fleet, switch faults and read the record. Invalid input → 400 `{error, problems}`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { EmulatorInputError } from '../input';
import type { FaultConfig, FleetSeed, ForeignRestartOptions, InstancePatch } from '../schemas';
import type { DataPlaneView, EmulatorInstance, EmulatorRecord, RestartRecord } from '../types';
import { safeDecodeURIComponent, sendJson, type RequestTarget } from './wire';

/** What the control API can do; implemented by the composition in ../index.ts. */
export interface ControlApi {
  health(): Record<string, unknown>;
  seed(spec: FleetSeed): EmulatorInstance[];
  instances(): EmulatorInstance[];
  instance(instanceId: string): EmulatorInstance | undefined;
  patchInstance(instanceId: string, patch: InstancePatch): EmulatorInstance;
  faults(): FaultConfig;
  setFaults(faults: FaultConfig): FaultConfig;
  patchFaults(patch: Record<string, unknown>): FaultConfig;
  record(since: number): EmulatorRecord;
  reset(): void;
  foreignRestart(instanceId: string, options: ForeignRestartOptions): RestartRecord;
  dataPlaneOf(instanceId: string): DataPlaneView;
}

export type ControlHandler = (req: IncomingMessage, res: ServerResponse, target: RequestTarget, body: Buffer) => void;

export function createControlHandler(api: ControlApi): ControlHandler {
  return (req, res, target, body) => {
    const reply = (status: number, payload: unknown): void => sendJson(res, status, payload);
    let json: unknown = undefined;
    if (body.length > 0) {
      try {
        json = JSON.parse(body.toString('utf8'));
      } catch {
        return reply(400, { error: 'invalid JSON body', problems: [{ path: '', message: 'body is not valid JSON' }] });
      }
    }
    const method = req.method ?? 'GET';
    const path = target.pathname.replace(/\/+$/, '');
    try {
      if (path === '/_emulator/health' && method === 'GET') return reply(200, api.health());
      if (path === '/_emulator/fleet' && method === 'POST') return reply(200, { instances: api.seed(json as FleetSeed) });
      if (path === '/_emulator/instances' && method === 'GET') return reply(200, { instances: api.instances() });
      const m = /^\/_emulator\/instances\/([^/]+)(?:\/([a-z-]+))?$/.exec(path);
      const id = m ? safeDecodeURIComponent(m[1]!) : undefined;
      const sub = m?.[2];
      if (m && id === undefined) {
        return reply(400, { error: 'the instance id in the path is not valid percent-encoding', problems: [{ path: 'instanceId', message: 'malformed percent-encoding' }] });
      }
      if (m && id !== undefined && sub === 'foreign-restart' && method === 'POST') {
        return reply(200, { restart: api.foreignRestart(id, (json ?? {}) as ForeignRestartOptions) });
      }
      if (m && id !== undefined && sub === 'data-plane' && method === 'GET') return reply(200, { dataPlane: api.dataPlaneOf(id) });
      if (m && id !== undefined && sub === undefined && method === 'PATCH') {
        if (!api.instance(id)) return reply(404, { error: `unknown instance ${id}`, problems: [{ path: 'instanceId', message: `unknown instance ${id}` }] });
        return reply(200, { instance: api.patchInstance(id, (json ?? {}) as InstancePatch) });
      }
      if (m && id !== undefined && sub === undefined && method === 'GET') {
        const instance = api.instance(id);
        return instance ? reply(200, { instance }) : reply(404, { error: 'unknown instance', problems: [] });
      }
      if (path === '/_emulator/faults') {
        if (method === 'GET') return reply(200, { faults: api.faults() });
        if (method === 'PUT') return reply(200, { faults: api.setFaults((json ?? {}) as FaultConfig) });
        if (method === 'PATCH') {
          if (typeof json !== 'object' || json === null || Array.isArray(json)) {
            return reply(400, { error: 'Invalid faults patch', problems: [{ path: '', message: 'expected an object' }] });
          }
          return reply(200, { faults: api.patchFaults(json as Record<string, unknown>) });
        }
      }
      if (path === '/_emulator/record' && method === 'GET') {
        const since = Number(target.query.get('since') ?? '0');
        if (!Number.isInteger(since) || since < 0) return reply(400, { error: 'since must be a non-negative integer', problems: [{ path: 'since', message: 'expected a non-negative integer' }] });
        return reply(200, api.record(since));
      }
      if (path === '/_emulator/reset' && method === 'POST') {
        api.reset();
        return reply(200, { ok: true });
      }
      return reply(404, { error: `no control route ${method} ${target.pathname}`, problems: [] });
    } catch (error) {
      if (error instanceof EmulatorInputError) return reply(error.httpStatus, { error: error.message, problems: error.problems });
      throw error;
    }
  };
}
