/**
 * Typed client for the emulator's control API (`/_emulator/...`, JSON, unsigned), for tests,
 * the benchmark and the demo when the emulator runs in another process.
 */
import type { FaultConfig, FleetSeed, ForeignRestartOptions, InstancePatch, ValidationProblem } from './schemas';
import type { DataPlaneView, EmulatorInstance, EmulatorRecord, RestartRecord } from './types';

export class EmulatorControlError extends Error {
  readonly code = 'EMULATOR_CONTROL_ERROR';
  constructor(
    message: string,
    readonly status: number,
    readonly problems: ValidationProblem[],
  ) {
    super(message);
    this.name = 'EmulatorControlError';
  }
}

export interface EmulatorHealth {
  ok: boolean;
  regions: string[];
  endpoints: Record<string, string>;
  instances: number;
  nextSeq: number;
  /** The data plane's ports (null when the emulator runs without it). */
  dataPlane?: { fePort: number; bePort: number } | null;
}

export class EmulatorControlClient {
  private readonly baseUrl: string;

  /** @param baseUrl any of the emulator's base URLs, e.g. `http://127.0.0.1:18080`. */
  constructor(
    baseUrl: string,
    private readonly timeoutMs = 10_000,
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.baseUrl}/_emulator/${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new EmulatorControlError(`Emulator control ${method} ${path} answered non-JSON (HTTP ${response.status})`, response.status, []);
    }
    if (!response.ok) {
      const err = json as { error?: string; problems?: ValidationProblem[] };
      throw new EmulatorControlError(err.error ?? `Emulator control ${method} ${path} failed with HTTP ${response.status}`, response.status, err.problems ?? []);
    }
    return json as T;
  }

  health(): Promise<EmulatorHealth> {
    return this.call('GET', 'health');
  }

  /** Replaces the fleet. */
  async seed(spec: FleetSeed): Promise<EmulatorInstance[]> {
    return (await this.call<{ instances: EmulatorInstance[] }>('POST', 'fleet', spec)).instances;
  }

  async instances(): Promise<EmulatorInstance[]> {
    return (await this.call<{ instances: EmulatorInstance[] }>('GET', 'instances')).instances;
  }

  async patchInstance(instanceId: string, patch: InstancePatch): Promise<EmulatorInstance> {
    return (await this.call<{ instance: EmulatorInstance }>('PATCH', `instances/${encodeURIComponent(instanceId)}`, patch)).instance;
  }

  async faults(): Promise<FaultConfig> {
    return (await this.call<{ faults: FaultConfig }>('GET', 'faults')).faults;
  }

  /** Replaces the faults. */
  async setFaults(faults: FaultConfig): Promise<FaultConfig> {
    return (await this.call<{ faults: FaultConfig }>('PUT', 'faults', faults)).faults;
  }

  /** Merges into the faults (one level deep; `null` removes a fault). */
  async patchFaults(patch: Record<string, unknown>): Promise<FaultConfig> {
    return (await this.call<{ faults: FaultConfig }>('PATCH', 'faults', patch)).faults;
  }

  /** Starts a restart not made through RestartInstance (console / another tool); see Emulator.foreignRestart. */
  async foreignRestart(instanceId: string, options: ForeignRestartOptions = {}): Promise<RestartRecord> {
    return (await this.call<{ restart: RestartRecord }>('POST', `instances/${encodeURIComponent(instanceId)}/foreign-restart`, options)).restart;
  }

  /** The instance's data plane: address, FE/BE URLs, cluster token, feStartTime, readiness. */
  async dataPlaneOf(instanceId: string): Promise<DataPlaneView> {
    return (await this.call<{ dataPlane: DataPlaneView }>('GET', `instances/${encodeURIComponent(instanceId)}/data-plane`)).dataPlane;
  }

  record(since?: number): Promise<EmulatorRecord> {
    return this.call('GET', since === undefined ? 'record' : `record?since=${since}`);
  }

  async reset(): Promise<void> {
    await this.call('POST', 'reset');
  }
}
