/**
 * The Temporal CLI and its dev server, as one import for the tests' global setup, `npm run temporal[:provision]`,
 * the demo, the benchmarks and CI. The code lives along its seam:
 *
 * - resolve-cli.ts: find or build the CLI (TEMPORAL_CLI_PATH, PATH, the tool cache, `go install`, SDK download);
 * - dev-server.ts:  run `temporal server start-dev` and wait until it answers;
 * - go.ts, paths.ts, process-utils.ts, errors.ts: what both (and scripts/cluster.ts, test-server.ts) share.
 *
 * Nothing re-exported here imports the Temporal SDK at module load: resolving the cached binary stays instant.
 */
export { DevServerError, DevServerErrorCode } from './errors';
export { MIN_GO_VERSION } from './go';
export { projectRoot, isDevelopmentCheckout, toolCacheDir } from './paths';
export { formatSeconds, freePort, type LogLine } from './process-utils';
export {
  TEMPORAL_CLI_GO_PACKAGE,
  TEMPORAL_CLI_VERSION,
  TemporalCliSource,
  cachedTemporalCliPath,
  resolveTemporalCli,
  type ResolveTemporalCliOptions,
  type ResolvedTemporalCli,
} from './resolve-cli';
export { startDevServer, type DevServer, type StartDevServerOptions } from './dev-server';
