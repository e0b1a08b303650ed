/**
 * What a rollout looks like in Temporal's own Web UI, for the docs: a dev server with its UI, the emulator, a
 * real worker and a rollout started through the client (search attributes, static summary and details), caught
 * while its second wave is in flight; a headless Chromium takes the workflow page and the filtered list.
 *
 *   npx tsx scripts/screenshot-temporal-ui.ts [--out docs]     (needs Debian's chromium, or CHROMIUM_PATH)
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { chromium } from 'playwright-core';
import { getProgress, startRollout } from '../src/client';
import { startDevServer } from '../src/devserver/temporal-cli';
import { DEFAULT_KEY, startEmulator } from '../src/emulator';
import { staticCredentials } from '../src/starrocks/credentials';
import { createStarwaveWorker } from '../src/worker/worker';
import { workflowBundleFile } from '../test/support/processes';
import { until } from '../test/support/wait';

const out = resolve(process.argv.includes('--out') ? process.argv[process.argv.indexOf('--out') + 1]! : 'docs');
const browserPath = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => p && existsSync(p));


async function main(): Promise<void> {
  if (!browserPath) throw new Error('No Chromium found: apt-get install chromium, or set CHROMIUM_PATH.');
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const server = await startDevServer({ port: 0, uiPort: 0 });
  const regions = ['cn-hangzhou', 'cn-shanghai'];
  const emulator = await startEmulator({ regions, fleet: { generate: { regions, perRegion: 6 } }, restartDuration: { kind: 'uniform', minMs: 15_000, maxMs: 30_000 }, seed: 11 });
  const client = new Client({ connection: await Connection.connect({ address: server.address }) });
  const taskQueue = 'screenshot';
  const { worker } = await createStarwaveWorker({
    connection: await NativeConnection.connect({ address: server.address }),
    client,
    taskQueue,
    credentials: staticCredentials(DEFAULT_KEY),
    endpointOverrides: emulator.endpoints,
    workerOptions: { workflowBundle: { codePath: await workflowBundleFile() }, workflowsPath: undefined, bundlerOptions: undefined } as object,
  });
  const running = worker.run();
  const browser = await chromium.launch({ executablePath: browserPath, headless: true });
  try {
    const started = await startRollout(
      client,
      {
        name: 'nightly-analytics',
        targets: { selectors: [{ regions }] },
        regions: { order: ['cn-shanghai'], mode: 'sequential' },
        waves: { sizes: [1, '100%'] },
        concurrency: { global: 3, perRegion: 3 },
        failureBudget: { total: 1 },
        instance: { pollIntervalSeconds: 1, confirmTimeoutSeconds: 120 },
      },
      { taskQueue, trigger: 'user:ops@example.com' },
    );
    const id = started.workflowId;
    await until('the second wave in flight', async () => {
      const p = (await getProgress(client, id).catch(() => undefined))?.progress;
      return !!p && p.currentWave !== undefined && p.currentWave >= 2 && p.counts.restarted >= 2 && p.inFlight.length >= 2;
    }, 120_000);
    // The details table is rebuilt at most every 5 s of workflow time: let it catch up.
    await new Promise((r) => setTimeout(r, 6_000));
    mkdirSync(out, { recursive: true });
    const page = await browser.newPage({ viewport: { width: 1440, height: 820 }, deviceScaleFactor: 1 });
    await page.goto(`${server.uiUrl}/namespaces/default/workflows/${encodeURIComponent(id)}/${started.runId}/history`, { waitUntil: 'load' });
    // Temporal UI 2.x shows the static summary/details and the current details under "User Metadata".
    await page.getByText('User Metadata').first().click();
    await page.getByText('Current Details').first().waitFor({ timeout: 30_000 });
    // The UI renders Markdown in sandboxed iframes.
    await page.frameLocator('iframe').last().locator('th', { hasText: 'restarted' }).first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(out, 'temporal-ui-rollout.png'), fullPage: false });
    await page.goto(`${server.uiUrl}/namespaces/default/workflows?query=${encodeURIComponent(`StarwaveName = "nightly-analytics"`)}`, { waitUntil: 'load' });
    await page.getByText('rolloutWorkflow').first().waitFor({ timeout: 30_000 });
    await page.waitForTimeout(1_000);
    await page.screenshot({ path: join(out, 'temporal-ui-list.png'), fullPage: false });
    process.stdout.write(`wrote ${join(out, 'temporal-ui-rollout.png')} and ${join(out, 'temporal-ui-list.png')} (rollout ${id})\n`);
    await client.workflow.getHandle(id).terminate('screenshot taken');
  } finally {
    await browser.close();
    worker.shutdown();
    await running.catch(() => undefined);
    await emulator.close();
    await server.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
