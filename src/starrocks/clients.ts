/**
 * The multi-region factory: one StarRocksClient per region, one undici Pool per endpoint origin
 * (regions that share an origin, such as an emulator, share its connections), and one client-side
 * token bucket per region, because each regional gateway has its own quota.
 */
import type { Dispatcher } from 'undici';
import { positiveIntOption } from './checks';
import { resolveEndpoint } from './endpoints';
import { StarRocksClient, type StarRocksClientOptions } from './operations';
import { TokenBucket } from './rate-limit';
import { DEFAULT_CONNECTIONS_PER_ENDPOINT, createEndpointPool } from './transport';

export interface StarRocksClientsOptions extends Omit<StarRocksClientOptions, 'region' | 'dispatcher'> {
  /** Upper bound of keep-alive connections per endpoint origin. Default 16. */
  connectionsPerEndpoint?: number;
  /** Supplies the dispatcher for an endpoint origin instead of the built-in Pool (tests, proxies). Not closed by close(). */
  dispatcherFor?: (baseUrl: string) => Dispatcher;
  /** Client-side request rate per region (requests/second); key `*` applies to regions not listed. */
  regionQps?: Record<string, number>;
}

/** One client per region, one undici Pool (keep-alive, bounded connections, timeouts) per endpoint origin. */
export class StarRocksClients {
  private readonly opts: StarRocksClientsOptions;
  private readonly clients = new Map<string, StarRocksClient>();
  private readonly dispatchers = new Map<string, Dispatcher>();
  private readonly owned: Dispatcher[] = [];
  private closed = false;

  constructor(opts: StarRocksClientsOptions) {
    this.opts = opts;
    positiveIntOption('connectionsPerEndpoint', opts.connectionsPerEndpoint, DEFAULT_CONNECTIONS_PER_ENDPOINT);
  }

  forRegion(region: string): StarRocksClient {
    if (this.closed) throw new Error('StarRocksClients is closed; create a new instance.');
    const cached = this.clients.get(region);
    if (cached) return cached;
    const { connectionsPerEndpoint, dispatcherFor, regionQps, ...clientOpts } = this.opts;
    const endpoint = resolveEndpoint(region, this.opts.endpointOverrides);
    let dispatcher = this.dispatchers.get(endpoint.baseUrl);
    if (!dispatcher) {
      if (dispatcherFor) {
        dispatcher = dispatcherFor(endpoint.baseUrl);
      } else {
        dispatcher = createEndpointPool(endpoint.baseUrl, {
          ...(connectionsPerEndpoint !== undefined ? { connections: connectionsPerEndpoint } : {}),
          ...(clientOpts.connectTimeoutMs !== undefined ? { connectTimeoutMs: clientOpts.connectTimeoutMs } : {}),
          ...(clientOpts.headersTimeoutMs !== undefined ? { headersTimeoutMs: clientOpts.headersTimeoutMs } : {}),
          ...(clientOpts.bodyTimeoutMs !== undefined ? { bodyTimeoutMs: clientOpts.bodyTimeoutMs } : {}),
        });
        this.owned.push(dispatcher);
      }
      this.dispatchers.set(endpoint.baseUrl, dispatcher);
    }
    // Each region is its own gateway with its own quota: one bucket per region.
    const qps = regionQps?.[region] ?? regionQps?.['*'];
    const client = new StarRocksClient({ ...clientOpts, region, dispatcher, ...(qps ? { rateLimiter: new TokenBucket(qps) } : {}) });
    this.clients.set(region, client);
    return client;
  }

  /** Closes the Pools this factory created (gracefully: in-flight requests finish first). */
  async close(): Promise<void> {
    this.closed = true;
    const owned = this.owned.splice(0);
    this.clients.clear();
    this.dispatchers.clear();
    await Promise.all(owned.map((d) => d.close()));
  }
}
