/**
 * Read-only StarRocks clients for `plan` and `start`'s check of targets.exclude: the standard Alibaba
 * Cloud credential chain, STARWAVE_ENDPOINTS and STARWAVE_REGION_QPS, as the worker uses them.
 */
import { loadEnv } from '../../config/env';
import { StarRocksClients } from '../../starrocks/client';
import { defaultCredentialSource, type CredentialSource } from '../../starrocks/credentials';
import { parseRegionQps } from '../../starrocks/rate-limit';
import type { RegionSetting } from '../preflight';
import type { PlanReader } from './fetch';

export interface Readers {
  readerFor(region: string): PlanReader;
  close(): Promise<void>;
}

export function openReaders(regions: RegionSetting, credentials: CredentialSource = defaultCredentialSource()): Readers {
  const regionQps = parseRegionQps(loadEnv().regionQpsText);
  const clients = new StarRocksClients({
    credentials,
    ...(regions.overrides ? { endpointOverrides: regions.overrides } : {}),
    ...(regionQps ? { regionQps } : {}),
  });
  return { readerFor: (region) => clients.forRegion(region), close: () => clients.close() };
}
