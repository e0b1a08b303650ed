/**
 * The rollout page at 10,000 instances in chromium: `starwave serve` reads a 10,000-target progress (a fake
 * Temporal client answering as the progress query does: `problems` detail above 2,000 targets) that advances
 * on every read, and the page keeps up through live views without freezing — every target is a square of one
 * canvas (a few hundred DOM nodes in all), no task blocks the main thread for long, a frame comes promptly
 * while views stream in, and hovering or clicking a square tells which instance it is.
 */
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../src/api/server';
import type { ControlAck } from '../../src/contracts/rollout';
import { syntheticProgress } from '../unit/dashboard-fixtures';
import { launchBrowser, screenshot, signIn, TOKEN, until, type Browser } from './dashboard-support';

const ID = 'starwave-rollout-synthetic';
let api: ApiServer;
let browser: Browser;
let reads = 0;
let done = 2_000;

const fakeTemporal = {
  options: { namespace: 'default' },
  withDeadline: (_d: number, fn: () => Promise<unknown>) => fn(),
  workflowService: { getSystemInfo: async () => ({}), describeTaskQueue: async () => ({ pollers: [{ identity: 'w' }] }) },
  workflow: {
    getHandle: () => ({
      describe: async () => ({ type: 'rolloutWorkflow', status: { name: 'RUNNING' }, runId: 'run-1', startTime: new Date(), taskQueue: 'tq' }),
      query: async (_q: unknown, detail: string) => {
        reads++;
        done = Math.min(9_000, done + 40);
        return syntheticProgress({ regions: ['cn-hangzhou', 'cn-shanghai', 'cn-beijing', 'cn-shenzhen'], perRegion: 2_500, waves: 4, done, inFlight: 300, failEvery: 211, listed: detail === 'all' ? 'all' : 'problems' });
      },
      executeUpdate: async (): Promise<ControlAck> => {
        throw new Error('not used');
      },
    }),
  },
} as unknown as Client;

beforeAll(async () => {
  browser = await launchBrowser();
  api = await startApiServer({ port: 0, token: TOKEN, taskQueue: 'tq', getClient: async () => fakeTemporal, events: { pollMs: 150 } });
});
afterAll(async () => {
  await browser?.close();
  await api?.close();
});

describe('dashboard at 10,000 instances', () => {
  it('draws every instance on one canvas and stays responsive while live views stream in', async () => {
    const { page } = browser;
    // Long main-thread tasks, recorded from before the page's script runs (browser code as text: the test
    // project has no DOM types).
    await page.addInitScript(`window.__long = [];
      new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__long.push(e.duration); }).observe({ type: 'longtask', buffered: true });`);
    await page.goto(`${api.url}/rollouts/${ID}`);
    await signIn(page);
    await until('10,000 squares on the canvas', async () => (await page.locator('#grid').getAttribute('data-squares')) === '10000', 60_000);
    const firstReads = reads;
    const summaries = new Set<string>();
    await until('ten live updates of the page', async () => {
      summaries.add((await page.locator('#summary').textContent()) ?? '');
      return summaries.size >= 10;
    });
    expect(reads).toBeGreaterThan(firstReads);

    // A frame comes promptly while views keep arriving and the grid is redrawn.
    const frames: number[] = [];
    for (let i = 0; i < 10; i++) {
      frames.push(await page.evaluate<number>('new Promise((r) => { const t = performance.now(); requestAnimationFrame(() => r(performance.now() - t)); })'));
    }
    const longTasks = await page.evaluate<number[]>('window.__long');
    const nodes = await page.evaluate<number>("document.getElementsByTagName('*').length");
    process.stderr.write(`[dashboard-scale] frames ${frames.map((f) => f.toFixed(0)).join(',')} ms; long tasks ${longTasks.length} (max ${Math.max(0, ...longTasks).toFixed(0)} ms); DOM elements ${nodes}; reads ${reads}\n`);
    expect(Math.max(...frames)).toBeLessThan(250);
    expect(Math.max(0, ...longTasks)).toBeLessThan(400);
    expect(nodes).toBeLessThan(1_500);
    expect(await page.locator('canvas').count()).toBe(1);

    // The squares are still individually addressable: hover and click tell which instance (or that it is counted).
    const box = (await page.locator('#grid').boundingBox())!;
    await page.mouse.move(box.x + 130, box.y + 24);
    await page.locator('#tip').waitFor();
    expect(await page.locator('#tip').textContent()).toMatch(/wave 1 · cn-hangzhou/);
    await page.mouse.click(box.x + 130, box.y + 24);
    await page.locator('#selected').waitFor();
    expect(await page.locator('#selected').textContent()).toMatch(/wave 1 · cn-hangzhou/);
    await screenshot(page, 'dashboard-10k');
    expect(browser.errors).toEqual([]);
  });
});
