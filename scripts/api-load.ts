/**
 * Load figures for `GET /v1/rollouts` (issue 15: p99 16 s at 1,000 concurrent requests). Starts a Temporal dev
 * server, starts `--rollouts` rollouts on a task queue nobody polls (they stay listed as running), serves the API
 * from `--server` (a module exporting startApiServer: this tree's src/api/server by default, or an older tree's
 * to measure "before"), fires `--concurrency` requests at once, `--rounds` times, and prints latency percentiles.
 * Everything runs on 127.0.0.1 and stops by itself.
 *
 *   npx tsx scripts/api-load.ts [--server src/api/server.ts] [--rollouts 150] [--concurrency 1000] [--rounds 3] [--path /v1/rollouts]
 */
import { resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startDevServer } from '../src/devserver/temporal-cli';

const argv = process.argv.slice(2);
const flag = (name: string, fallback: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1]! : fallback;
};
const SERVER = resolve(process.cwd(), flag('server', 'src/api/server.ts'));
const ROLLOUTS = Number(flag('rollouts', '150'));
const CONCURRENCY = Number(flag('concurrency', '1000'));
const ROUNDS = Number(flag('rounds', '3'));
const PATH = flag('path', '/v1/rollouts');
const TOKEN = 'load-test-token-0123456789abcdef';

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

async function main(): Promise<void> {
  const dev = await startDevServer({ port: 0, uiPort: false });
  const connection = await Connection.connect({ address: dev.address });
  const client = new Client({ connection });
  const { startApiServer } = (await import(SERVER)) as typeof import('../src/api/server');
  const api = await startApiServer({ port: 0, token: TOKEN, taskQueue: 'load-nobody-polls', getClient: async () => client });
  try {
    for (let i = 0; i < ROLLOUTS; i += 25) {
      await Promise.all(
        Array.from({ length: Math.min(25, ROLLOUTS - i) }, (_, j) =>
          client.workflow.start('rolloutWorkflow', {
            taskQueue: 'load-nobody-polls',
            workflowId: `starwave-rollout-load-${i + j}`,
            args: [{ spec: { name: `load-${i + j}`, targets: { selectors: [{ regions: ['cn-hangzhou'] }] } } }],
          }),
        ),
      );
    }
    // Visibility is eventually consistent: wait until the list shows them all.
    for (let tries = 0; tries < 100; tries++) {
      const n = (await client.workflowService.countWorkflowExecutions({ namespace: 'default', query: "WorkflowType='rolloutWorkflow'" })).count;
      if (Number(n) >= ROLLOUTS) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    process.stdout.write(`server ${SERVER}\n${ROLLOUTS} rollouts, ${CONCURRENCY} concurrent GET ${PATH}, ${ROUNDS} rounds\n`);
    for (let round = 1; round <= ROUNDS; round++) {
      const latencies: number[] = [];
      const statuses: Record<string, number> = {};
      const t0 = Date.now();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          const started = performance.now();
          let status = 'error';
          try {
            const res = await fetch(`${api.url}${PATH}`, { headers: { authorization: `Bearer ${TOKEN}` }, signal: AbortSignal.timeout(120_000) });
            await res.arrayBuffer();
            status = String(res.status);
          } catch {
            status = 'error';
          }
          latencies.push(performance.now() - started);
          statuses[status] = (statuses[status] ?? 0) + 1;
        }),
      );
      latencies.sort((a, b) => a - b);
      const ms = (v: number): string => `${Math.round(v)} ms`;
      process.stdout.write(
        `round ${round}: wall ${ms(Date.now() - t0)}; p50 ${ms(pct(latencies, 50))}, p90 ${ms(pct(latencies, 90))}, p99 ${ms(pct(latencies, 99))}, max ${ms(latencies[latencies.length - 1]!)}; statuses ${JSON.stringify(statuses)}\n`,
      );
      await new Promise((r) => setTimeout(r, 1_500)); // let any cached answer expire between rounds
    }
  } finally {
    await api.close();
    await connection.close();
    await dev.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  },
);
