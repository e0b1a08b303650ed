/**
 * Connecting to Temporal the way Temporal's own tools do (@temporalio/envconfig): TEMPORAL_ADDRESS,
 * TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS settings and profiles from the config file
 * (TEMPORAL_CONFIG_FILE / TEMPORAL_PROFILE), handed over from the one config module. So the same
 * worker, CLI and API run against the dev server, a self-hosted cluster or Temporal Cloud.
 */
import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { loadEnv } from '../config/env';
import { StarwaveError } from '../contracts/errors';

export const DEFAULT_ADDRESS = 'localhost:7233';

export interface TemporalTarget {
  address?: string;
  namespace?: string;
  profile?: string;
}

export interface ResolvedTemporalConfig {
  connectionOptions: ReturnType<typeof loadClientConnectConfig>['connectionOptions'];
  namespace: string;
}

export function resolveTemporalConfig(target: TemporalTarget = {}): ResolvedTemporalConfig {
  const loaded = loadClientConnectConfig({ ...(target.profile ? { profile: target.profile } : {}), overrideEnvVars: loadEnv().temporal });
  const connectionOptions = { ...loaded.connectionOptions };
  if (target.address) connectionOptions.address = target.address;
  if (!connectionOptions.address) connectionOptions.address = DEFAULT_ADDRESS;
  return { connectionOptions, namespace: target.namespace ?? loaded.namespace ?? 'default' };
}

export class TemporalUnreachableError extends StarwaveError {
  override readonly name = 'TemporalUnreachableError';
  constructor(address: string, cause: unknown) {
    super(
      'ERR_TEMPORAL_UNREACHABLE',
      `Could not reach Temporal at ${address} (${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)}). ` +
        'Start one with "npm run temporal" or point TEMPORAL_ADDRESS at your server.',
    );
  }
}

/** Connects a Client; `connectTimeoutMs` (default 5000) bounds how long an unreachable server is tried. */
export async function connectClient(
  target: TemporalTarget = {},
  opts: { connectTimeoutMs?: number } = {},
): Promise<{ client: Client; connection: Connection; namespace: string }> {
  const cfg = resolveTemporalConfig(target);
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...cfg.connectionOptions, connectTimeout: opts.connectTimeoutMs ?? 5_000 } as Parameters<typeof Connection.connect>[0]);
  } catch (err) {
    throw new TemporalUnreachableError(String(cfg.connectionOptions.address), err);
  }
  return { client: new Client({ connection, namespace: cfg.namespace }), connection, namespace: cfg.namespace };
}
