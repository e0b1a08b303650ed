/**
 * `npm run bench` — how fast and how frugal a starwave rollout is, against the lower bound and the
 * two things an operator would otherwise run, on identical emulator fleets; and what the worker and
 * the CLI cost (issue 11). Writes docs/benchmarks.md and docs/benchmarks.json.
 *
 *   npm run bench                                  # sizes 100,1000,10000 + footprint
 *   npm run bench -- --sizes 1000 --out /tmp/b.md  # some sizes only
 *   npm run bench -- --only footprint              # idle RSS and CLI start times only
 *   npm run bench -- --only scenarios --scenario 1000-lognormal-history   # named scenarios only
 *   npm run bench -- --only scenarios --sizes 10000 --variant 'compiled, defaults;tsx, defaults'  # named variants only
 *   npm run bench -- --smoke                       # CI: 20 instances, result in $TMPDIR unless --out
 *   npm run bench -- --runtime tsx                 # scenarios on tsx instead of compiled code
 *   npm run bench -- --temporal 127.0.0.1:7233     # reuse a running server instead of starting one
 *   npm run bench -- --render docs/benchmarks.json # re-render the markdown from measured rows
 */
import { execSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { bundleWithEmbeddedSources, compiledRuntime, describeRuntime, type WorkerRuntime } from './build';
import { measureCli, measureIdle, type CliTiming, type IdleRow } from './footprint';
import { ROOT, machineInfo, ownDevServer, watchLoad } from './harness';
import { renderMarkdown, type BenchData, type Meta } from './render-bench';
import { describeDuration, runScenario, scenariosFor, type Row } from './scenarios';

export { scenariosFor, renderMarkdown };

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** `--render <file.json>`: rewrite the markdown next to it from the measured rows (no new measurements). */
function renderOnly(jsonFile: string): void {
  const data = JSON.parse(readFileSync(jsonFile, 'utf8')) as BenchData;
  if (!data.meta || !Array.isArray(data.rows)) throw new Error(`${jsonFile} holds no {meta, rows}: rerun the benchmark.`);
  const mdFile = jsonFile.replace(/\.json$/, '.md');
  writeFileSync(mdFile, renderMarkdown(data));
  process.stderr.write(`bench: rendered ${mdFile} from ${jsonFile}\n`);
}

async function main(): Promise<void> {
  const render = arg('--render');
  if (render) return renderOnly(resolve(render));
  const smoke = process.argv.includes('--smoke');
  const only = arg('--only');
  if (only !== undefined && only !== 'footprint' && only !== 'scenarios') throw new Error(`--only takes "footprint" or "scenarios" (got ${only}).`);
  const runtimeFlag = arg('--runtime') ?? 'compiled';
  if (runtimeFlag !== 'compiled' && runtimeFlag !== 'tsx') throw new Error(`--runtime takes "compiled" or "tsx" (got ${runtimeFlag}).`);
  const sizes = (arg('--sizes') ?? '100,1000,10000').split(',').map(Number).filter((n) => n > 0);
  const out = resolve(arg('--out') ?? (smoke ? join(tmpdir(), 'starwave-bench-smoke.md') : join(ROOT, 'docs/benchmarks.md')));
  const log = (line: string): void => void process.stderr.write(`${line}\n`);

  const load = watchLoad();
  // --compiled-root <dir>: a compiled package layout built elsewhere (e.g. another commit, to bisect a regression).
  const compiledRoot = arg('--compiled-root');
  const compiled: WorkerRuntime & { kind: 'dist' } = compiledRoot ? { kind: 'dist', root: resolve(compiledRoot) } : (await compiledRuntime(log)).runtime;
  const tsx: WorkerRuntime = { kind: 'tsx' };
  const sourcesBundlePath = smoke ? undefined : await bundleWithEmbeddedSources(log);
  const existing = arg('--temporal');
  const server = existing ? undefined : await ownDevServer();
  const address = existing ?? server!.address;
  log(`bench: Temporal at ${address}; compiled runtime ${describeRuntime(compiled)} (${compiled.root}); writing ${out}`);
  const rows: Row[] = [];
  let idle: IdleRow[] | undefined;
  let cli: CliTiming[] | undefined;
  try {
    if (!smoke && only !== 'scenarios') {
      log('footprint: idle workers');
      idle = await measureIdle(
        address,
        [
          { label: 'tsx', runtime: tsx },
          { label: 'compiled, dist/worker/main.js', runtime: compiled, entry: 'main' },
          { label: 'compiled, defaults', runtime: compiled },
          { label: 'compiled, before (bundle with sources, semi-space 16 MiB, 16 malloc arenas)', runtime: compiled, tuning: { bundlePath: sourcesBundlePath!, semiSpaceMb: 0, env: { MALLOC_ARENA_MAX: '16', STARWAVE_WORKER_OPTIMIZE_FOR_SIZE: '0' } } },
          { label: 'compiled, semi-space 4 MiB', runtime: compiled, tuning: { semiSpaceMb: 4 } },
          { label: 'compiled, without --optimize-for-size', runtime: compiled, tuning: { env: { STARWAVE_WORKER_OPTIMIZE_FOR_SIZE: '0' } } },
          { label: 'compiled, sticky cache 2', runtime: compiled, tuning: { maxCachedWorkflows: 2 } },
          { label: 'compiled, 50 activity slots', runtime: compiled, tuning: { maxActivities: 50 } },
        ],
        10_000,
        2,
        log,
      );
      log('footprint: CLI start times');
      cli = await measureCli(address, [{ label: 'tsx', runtime: tsx }, { label: 'compiled', runtime: compiled }], { warmup: 2, runs: 10, log });
    }
    if (only !== 'footprint') {
      const named = arg('--scenario')?.split(',');
      const variantFilter = arg('--variant')?.split(';');
      const chosen = scenariosFor(sizes, smoke).filter((s) => !named || named.includes(s.name));
      if (named && chosen.length !== named.length) throw new Error(`--scenario: unknown name among ${named.join(', ')}`);
      for (const s of chosen) {
        log(`scenario ${s.name} (${s.size} instances, ${describeDuration(s.duration)}, C=${s.concurrency})`);
        rows.push(...(await runScenario({ address, runtimes: { tsx, compiled }, defaultRuntime: runtimeFlag, ...(variantFilter ? { variantFilter } : {}), ...(arg('--rounds') ? { rounds: Number(arg('--rounds')) } : {}), ...(sourcesBundlePath ? { sourcesBundlePath } : {}), log }, s)));
      }
    }
  } finally {
    await server?.stop();
  }
  const commit = (() => {
    try {
      return execSync('git rev-parse --short HEAD', { cwd: ROOT }).toString().trim();
    } catch {
      return 'unknown';
    }
  })();
  const flags = process.argv.slice(2).filter((a, i, all) => a !== '--out' && all[i - 1] !== '--out');
  const meta: Meta = {
    machine: await machineInfo(),
    command: `npm run bench${flags.length ? ` -- ${flags.join(' ')}` : ''}`,
    date: new Date().toISOString(),
    commit,
    runtimes: { compiled: describeRuntime(compiled), default: runtimeFlag === 'tsx' ? describeRuntime(tsx) : describeRuntime(compiled) },
    load: load.stop(),
  };
  const data: BenchData = { meta, rows, ...(idle ? { idle } : {}), ...(cli ? { cli } : {}) };
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, renderMarkdown(data));
  writeFileSync(out.replace(/\.md$/, '.json'), `${JSON.stringify(data, null, 2)}\n`);
  log(`bench: wrote ${out}`);
  if (rows.some((r) => !r.ok) || (cli ?? []).some((t) => t.exitCodes.some((c) => c !== 0))) process.exitCode = 1;
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
