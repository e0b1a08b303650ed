/**
 * The health gate's probe of StarRocks itself (spec §11): the FE HTTP endpoint comes from
 * DescribeNodeGroups (read once per instance, then carried by the engine); FE `/api/bootstrap`
 * must be OK (with the cluster token it also gives the FE start time, the proof of restart) and FE
 * `/api/health` must report every backend online. Credentials (token, Basic auth) come only from
 * the worker's environment and never leave this module.
 */
import type { HealthObservation } from '../contracts/activities';
import { DataPlaneError, type DataPlaneClient } from '../starrocks/dataplane';
import type { HealthProber, RegionApiFor } from './deps';

export interface ProberOptions {
  starrocks: RegionApiFor;
  dataPlane: DataPlaneClient;
  /** The cluster token of an instance, if the worker has one. */
  tokenFor: (instanceId: string) => string | undefined;
}

export function dataPlaneProber(opts: ProberOptions): HealthProber {
  return {
    async probe({ region, instanceId, fe, proveRestart, signal }): Promise<HealthObservation> {
      let endpoint = fe;
      if (!endpoint) {
        const groups = await opts.starrocks(region).describeAllNodeGroups({ instanceId }, signal ? { signal } : {});
        const g = groups.items.find((x) => x.componentType === 'FE' && x.endpoint && x.httpPort);
        if (!g) return { ok: false, reason: 'DescribeNodeGroups lists no FE group with an endpoint and HTTP port' };
        endpoint = { endpoint: g.endpoint!, port: g.httpPort! };
      }
      const token = proveRestart ? opts.tokenFor(instanceId) : undefined;
      try {
        const boot = await opts.dataPlane.feBootstrap(endpoint.endpoint, endpoint.port, { ...(token ? { token } : {}), ...(signal ? { signal } : {}) });
        if (!boot.ready) return { ok: false, fe: endpoint, reason: `FE /api/bootstrap is not ready (${boot.msg || boot.status})` };
        const health = await opts.dataPlane.feHealth(endpoint.endpoint, endpoint.port, signal ? { signal } : {});
        if (!health.ready) return { ok: false, fe: endpoint, reason: `FE /api/health answered ${health.status}${health.msg ? ` (${health.msg})` : ''}` };
        const total = health.totalBackendNum ?? 0;
        const online = health.onlineBackendNum ?? 0;
        if (online < total) return { ok: false, fe: endpoint, reason: `${online} of ${total} backends online` };
        return {
          ok: true,
          fe: endpoint,
          ...(boot.feStartTimeMs !== undefined ? { feStartTimeMs: boot.feStartTimeMs } : {}),
          ...(proveRestart && !token ? { reason: 'no cluster token for this instance (STARWAVE_PROBE_TOKEN): the start time cannot be read' } : {}),
        };
      } catch (err) {
        if (!(err instanceof DataPlaneError)) throw err;
        return { ok: false, fe: endpoint, unreachable: err.kind === 'unreachable' || err.kind === 'timeout', reason: err.message };
      }
    },
  };
}
