/**
 * `npm run faults` — what happens when things break, read from the emulator's record. Writes
 * docs/reliability.md (and a .json next to it).
 *
 *   npm run faults                       dev-server runs (worker kills + server restart, API faults,
 *                                        clock skew), the bad-input corpus, the secret scan
 *   npm run faults -- --cluster          the same plus the cluster run (bench/cluster-faults.ts) on
 *                                        `npm run cluster` (started, or reused when running)
 *   npm run faults -- --only corpus      just the corpus (own dev server), written to --out
 *   npm run faults -- --only cluster     just the cluster run (plus the secret scan), written to --out
 *   npm run faults -- --keep-cluster     leave a cluster this run started running
 *   npm run faults -- --runtime tsx      workers on tsx even when dist/ is fresh
 *   npm run faults -- --runtime compiled workers on compiled code, built privately when dist/ is stale
 *
 * Without --cluster, a cluster result already in the output's .json is carried over, labelled with its
 * date and commit, so a plain run does not drop it.
 */
import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { compiledRuntime, freshCheckoutDist, describeRuntime, type WorkerRuntime } from './build';
import { clusterRun } from './cluster-faults';
import { responseCorpus, specCorpus, type CorpusResult } from './corpus';
import { cliCorpus, httpCorpus } from './corpus-surfaces';
import { renderReliability, type ClusterResult, type FaultData } from './fault-render';
import { SECRETS, apiFaultRun, crashRun, skewRun, type FaultContext, type RunResult } from './fault-runs';
import { ROOT, connectTemporal, machineInfo, ownDevServer, watchLoad } from './harness';

export { badSpecs } from './corpus';

const began = Date.now();
const log = (line: string): void => void process.stderr.write(`[${((Date.now() - began) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** A cluster result from an earlier run's JSON, to carry into this one. */
function earlierCluster(jsonFile: string): ClusterResult | undefined {
  if (!existsSync(jsonFile)) return undefined;
  try {
    const old = JSON.parse(readFileSync(jsonFile, 'utf8')) as Partial<FaultData>;
    if (!old.cluster || !old.meta) return undefined;
    return { ...old.cluster, from: old.cluster.from ?? { date: old.meta.date, commit: old.meta.commit } };
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const load = watchLoad();
  const out = resolve(flag('--out') ?? join(ROOT, 'docs/reliability.md'));
  const only = flag('--only');
  if (only !== undefined && only !== 'corpus' && only !== 'cluster') throw new Error(`--only takes "corpus" or "cluster" (got ${only}).`);
  const withCluster = process.argv.includes('--cluster') || only === 'cluster';
  const runtimeFlag = flag('--runtime');
  if (runtimeFlag !== undefined && runtimeFlag !== 'tsx' && runtimeFlag !== 'compiled') throw new Error(`--runtime takes "tsx" or "compiled" (got ${runtimeFlag}).`);
  // Compiled code when dist/ is built and fresh (what ships), else the sources through tsx; --runtime compiled
  // compiles a private copy when dist/ is stale (bench/build.ts).
  const fresh = freshCheckoutDist();
  const runtime: WorkerRuntime = runtimeFlag === 'compiled' ? (await compiledRuntime(log)).runtime : runtimeFlag === 'tsx' || !fresh ? { kind: 'tsx' } : fresh;
  const ctx: FaultContext = { runtime, texts: [], log };
  log(`faults: workers on ${describeRuntime(runtime)}`);

  const runs: RunResult[] = [];
  let cluster: ClusterResult | undefined;
  const corpus: CorpusResult[] = [];
  if (only === 'cluster') {
    log('faults: cluster run');
    cluster = await clusterRun(ctx, { keep: process.argv.includes('--keep-cluster') });
  } else {
    if (!only) {
      log('faults: worker kills + server restart');
      runs.push(await crashRun(ctx, mkdtempSync(join(tmpdir(), 'starwave-faults-'))));
    }
    corpus.push(specCorpus(), await responseCorpus(ctx.texts));
    const server = await ownDevServer();
    const client = await connectTemporal(server.address);
    try {
      if (!only) {
        log('faults: API faults');
        runs.push(await apiFaultRun(ctx, client, server.address));
        log('faults: clock skew');
        runs.push(await skewRun(ctx, client, server.address, 5 * 60_000));
        runs.push(await skewRun(ctx, client, server.address, 60 * 60_000));
      }
      log('faults: bad-input corpus (CLI invocations)');
      corpus.push(await cliCorpus(client, server.address, ctx.texts));
      log('faults: bad-input corpus (HTTP API requests)');
      corpus.push(await httpCorpus(client, ctx.texts));
    } finally {
      await client.connection.close();
      await server.stop();
    }
    if (withCluster) {
      log('faults: cluster run');
      cluster = await clusterRun(ctx, { keep: process.argv.includes('--keep-cluster') });
    } else if (!only) cluster = earlierCluster(out.replace(/\.md$/, '.json'));
  }
  for (const c of corpus) log(`faults: ${c.kind}: ${c.clearError}/${c.total} clear, ${c.startedSomething} started something`);
  const secretHits = ctx.texts.reduce((a, t) => a + SECRETS.reduce((b, s) => b + t.split(s).length - 1, 0), 0);
  const commit = execSync('git rev-parse --short HEAD', { cwd: ROOT }).toString().trim();
  const args = process.argv.slice(2).filter((a, i, all) => a !== '--out' && all[i - 1] !== '--out');
  const data: FaultData = {
    meta: { machine: await machineInfo(), date: new Date().toISOString(), commit, seconds: (Date.now() - started) / 1000, command: `npm run faults${args.length ? ` -- ${args.join(' ')}` : ''}`, runtime: describeRuntime(runtime), load: load.stop() },
    runs,
    ...(cluster ? { cluster } : {}),
    corpus,
    secretHits,
    scanned: { texts: ctx.texts.length, bytes: ctx.texts.reduce((a, t) => a + t.length, 0) },
  };
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, renderReliability(data));
  writeFileSync(out.replace(/\.md$/, '.json'), `${JSON.stringify(data, null, 2)}\n`);
  log(`faults: wrote ${out}`);
  const judged = [...runs, ...(cluster && !cluster.from ? [cluster] : [])];
  const bad = judged.some((r) => r.duplicates > 0 || r.skippedWithoutReason > 0 || !r.reportCorrect) || secretHits > 0 || corpus.some((c) => c.clearError < c.total || c.startedSomething > 0);
  if (bad) process.exitCode = 1;
}

if (require.main === module) {
  // Exit once the report is written: a gRPC channel or child-process pipe left open must not keep the script alive.
  main().then(
    () => process.exit(process.exitCode ?? 0),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
