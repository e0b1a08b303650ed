/**
 * The dashboard in a real browser (Debian's chromium, headless, driven by playwright-core) against `starwave
 * serve` in-process, a real worker on the run's Temporal dev server and the emulator. What the buttons did is
 * judged from the emulator's record, not from the page: Pause — no restart sent after its acknowledgement
 * except those already in flight; Approve — wave 2 starts only after it; Skip — the hung instance stops
 * holding the rollout. Screenshots go to .data/screenshots/ (CI artifacts); UPDATE_DOCS=1 refreshes
 * docs/dashboard.png, the README's.
 */
import { copyFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { callerIdentity } from '../../src/api/auth';
import { startApiServer, type ApiServer } from '../../src/api/server';
import type { RolloutProgress, RolloutReport } from '../../src/contracts/rollout';
import type { EmulatorInstance } from '../../src/emulator';
import { startStack, type Stack } from '../support/stack';
import { uniqueId } from '../support/temporal';
import { launchBrowser, screenshot, signIn, TOKEN, until, type Browser } from './dashboard-support';

const BY = callerIdentity(TOKEN);
const REGIONS = ['cn-hangzhou', 'cn-shanghai', 'cn-beijing'];
let stack: Stack;
let api: ApiServer;
let browser: Browser;
let page: Page;

const policy = { pollIntervalSeconds: 0.2, confirmTimeoutSeconds: 120, heartbeatTimeoutSeconds: 5, expectedRestartSeconds: 2 };
const targetsOf = (instances: EmulatorInstance[]) => ({ instances: instances.map((i) => ({ region: i.regionId, instanceId: i.instanceId })) });
const apiRestarts = (since: number) => stack.emulator.record(since).restarts.filter((r) => (r.origin ?? 'api') === 'api');

async function progress(id: string, detail: 'summary' | 'all' = 'summary'): Promise<RolloutProgress> {
  const res = await fetch(`${api.url}/v1/rollouts/${id}?detail=${detail}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  const json = (await res.json()) as { progress?: RolloutProgress; error?: string };
  if (!json.progress) throw new Error(`No progress for ${id}: ${json.error ?? res.status}`);
  return json.progress;
}

/** The action result line after a click: the reply's sentence (the API's, for an error). */
async function result(kind: 'ok' | 'error'): Promise<string> {
  const line = page.locator(`#action-result.${kind}`);
  await line.waitFor({ timeout: 30_000 });
  return (await line.textContent()) ?? '';
}

async function openRollout(id: string): Promise<void> {
  await page.goto(`${api.url}/rollouts/${id}`);
  // The first visit of the tab asks for the token once; later pages reuse it from sessionStorage.
  if (await page.locator('#login').isVisible()) await signIn(page);
  await page.locator('#rollout').waitFor({ state: 'visible' });
  await page.locator('#conn.ok').waitFor({ timeout: 30_000 });
}

beforeAll(async () => {
  browser = await launchBrowser();
  page = browser.page;
  stack = await startStack({
    regions: REGIONS,
    fleet: { generate: { regions: REGIONS, perRegion: 12 } },
    restartDuration: { kind: 'fixed', ms: 4_000 },
    seed: 12,
  });
  api = await startApiServer({ port: 0, token: TOKEN, taskQueue: stack.taskQueue, getClient: async () => stack.client, events: { pollMs: 250 } });
});
afterAll(async () => {
  await browser?.close();
  await api?.close();
  await stack?.close();
});

describe('dashboard in chromium', () => {
  it("shows a running rollout's grid live, and its Pause button stops launches (from the emulator's record)", async () => {
    // 12 instances of cn-hangzhou and 12 of cn-shanghai; one restart fails, so the grid and the problems show it.
    const mine = stack.emulator.instances().filter((i) => i.regionId !== 'cn-beijing');
    const failing = mine.find((i) => i.regionId === 'cn-shanghai')!;
    stack.emulator.patchInstance(failing.instanceId, { failRestart: true });
    const handle = await stack.startRollout({
      name: uniqueId('dash'),
      targets: targetsOf(mine),
      regions: { order: ['cn-shanghai'], mode: 'sequential' },
      waves: { sizes: [1, '100%'] },
      concurrency: { global: 3 },
      failureBudget: { total: 2 },
      instance: policy,
    });
    const id = handle.workflowId;

    await page.goto(`${api.url}/rollouts/${id}`);
    await page.locator('#login').waitFor({ state: 'visible' });
    expect(await page.locator('#rollout').isVisible()).toBe(false);
    await signIn(page);
    await page.locator('#conn.ok').waitFor({ timeout: 30_000 });
    // The token lives in this tab's sessionStorage only: not in the URL, not in a cookie.
    expect(await page.evaluate<string | null>("sessionStorage.getItem('starwave.token')")).toBe(TOKEN);
    expect(page.url()).not.toContain(TOKEN);
    expect(await browser.context.cookies()).toEqual([]);

    // Every target is one square of the canvas grid; updates arrive without reloading the page.
    await until('24 squares in the grid', async () => (await page.locator('#grid').getAttribute('data-squares')) === '24');
    const navigations: string[] = [];
    page.on('framenavigated', (f) => navigations.push(f.url()));
    await until('a restart in flight and one done, shown live', async () => {
      const flying = await page.locator('#inflight button[data-skip]').count();
      const summary = (await page.locator('#summary').textContent()) ?? '';
      return flying > 0 && /\b[1-9]\d* of 24 restarted/.test(summary);
    });
    await until('the failed restart with its sentence', async () => ((await page.locator('#issues').textContent()) ?? '').includes(failing.instanceId));
    expect(await page.locator('#issues').textContent()).toMatch(/restart ended in status/);
    expect(await page.locator('#waves tr').count()).toBe(4);
    await until('a restart in flight with its duration and operation step', async () => /restarting[\s\S]*[1-9]\d*s[\s\S]*\d+%/.test((await page.locator('#inflight').textContent()) ?? ''));
    const shot = await screenshot(page, 'dashboard-running');
    if (process.env['UPDATE_DOCS'] === '1') copyFileSync(shot, resolve(__dirname, '..', '..', 'docs', 'dashboard.png'));
    expect(navigations).toEqual([]);

    // Pause in the middle of a wave, so that a launch would follow every restart that ends: restarts the workflow
    // had already launched may still arrive; nothing else may.
    await until('wave 2 under way with work left', async () => {
      const p = await progress(id);
      const w = p.waves[1]!;
      return p.currentWave === 2 && w.done >= 1 && w.size - w.done - p.counts.inFlight >= 3;
    });
    await page.locator('#pause').click();
    const ack = await result('ok');
    const ackSeq = stack.emulator.record().nextSeq;
    expect(ack).toMatch(/^Paused.*Now paused \(paused\)/);
    // The reply's state, as the page shows it: how many restarts the workflow had in flight when it paused.
    const inFlightInAck = Number(/(\d+) in flight/.exec(ack)?.[1]);
    const atAck = await progress(id);
    const inFlightAtAck = new Set(atAck.inFlight.map((f) => f.instanceId));
    expect(atAck.paused).toBe(true);
    await page.locator('#paused-banner').waitFor();
    await until('the restarts in flight at the pause to finish (shown on the page)', async () => (await page.locator('#inflight').textContent())?.includes('Nothing in flight'));
    const during = apiRestarts(ackSeq);
    for (const r of during) expect(inFlightAtAck.has(r.instanceId), `${r.instanceId} was launched after the pause's acknowledgement`).toBe(true);
    expect(new Set(during.map((r) => r.instanceId)).size).toBeLessThanOrEqual(inFlightInAck);
    const held = await progress(id);
    expect(held).toMatchObject({ phase: 'paused', paused: true });
    expect(held.counts.pending).toBeGreaterThan(0);
    expect(held.counts.inFlight).toBe(0);

    // While paused: limits are validated by the workflow, and its sentence is shown.
    await page.locator('#limits-form input[name=global]').fill('0');
    await page.locator('#limits-form button[type=submit]').click();
    expect(await result('error')).toMatch(/concurrency\.global: must be at least 1/);
    await page.locator('#limits-form input[name=global]').fill('4');
    await page.locator('#limits-form button[type=submit]').click();
    expect(await result('ok')).toMatch(/Limits changed/);
    expect(apiRestarts(ackSeq).length).toBe(during.length);

    // Resume: launches start again.
    const resumeClick = stack.emulator.record().nextSeq;
    await page.locator('#resume').click();
    expect(await result('ok')).toMatch(/Resumed/);
    await until('a restart after resuming', () => (apiRestarts(resumeClick).some((r) => !inFlightAtAck.has(r.instanceId)) ? true : undefined));

    // Cancel, with a reason (the page asks to confirm).
    page.once('dialog', (d) => void d.accept());
    await page.locator('#cancel-reason').fill('dashboard test over');
    await page.locator('#cancel').click();
    expect(await result('ok')).toMatch(/cancel/i);
    const report = (await handle.result()) as RolloutReport;
    expect(report.phase).toBe('cancelled');
    const audit = report.audit.filter((a) => a.action !== 'start');
    expect(audit.map((a) => a.action)).toEqual(['pause', 'setLimits', 'resume', 'cancel']);
    for (const a of audit) expect(a.by, a.action).toBe(BY);
    expect(audit.find((a) => a.action === 'cancel')?.detail).toBe('dashboard test over');
    // The stream ends with the run; the page says so and disables the controls.
    await page.locator('#conn.done').waitFor({ timeout: 30_000 });
    expect(await page.locator('#pause').isDisabled()).toBe(true);
    expect(browser.errors).toEqual([]);
  });

  it('lists rollouts with filters and paging, and opens one', async () => {
    const name = uniqueId('listed');
    const mine = stack.emulator.instances().filter((i) => i.regionId === 'cn-beijing').slice(0, 2);
    // Started through the API, so it carries the search attributes the filters use.
    const created = await fetch(`${api.url}/v1/rollouts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name, targets: targetsOf(mine), waves: { sizes: ['100%'] }, instance: { ...policy, expectedRestartSeconds: 0.5 } }),
    });
    expect(created.status).toBe(201);
    const handle = stack.client.workflow.getHandle(((await created.json()) as { workflowId: string }).workflowId);
    await handle.result();
    await page.goto(`${api.url}/?name=${name}`);
    if (await page.locator('#login').isVisible()) await signIn(page);
    await until('the rollout in the list', async () => ((await page.locator('#rollouts').textContent()) ?? '').includes(name));
    expect(await page.locator('#rollouts tr').count()).toBe(1);
    expect(await page.locator('#rollouts').textContent()).toMatch(/completed/);
    // A filter the API refuses shows its sentence.
    await page.locator('#filters input[name=region]').fill('Hangzhou!');
    await page.locator('#filters button[type=submit]').click();
    await until('the API sentence for a bad region', async () => /region: must be a region id/.test((await page.locator('#list-error').textContent()) ?? ''));
    await page.locator('#filters input[name=region]').fill('cn-beijing');
    await page.locator('#filters button[type=submit]').click();
    await until('the region filter', async () => ((await page.locator('#rollouts').textContent()) ?? '').includes(name));
    expect(page.url()).toContain('region=cn-beijing');
    expect(page.url()).not.toContain(TOKEN);
    await screenshot(page, 'dashboard-list');
    await page.locator(`#rollouts a[href="/rollouts/${handle.workflowId}"]`).click();
    await page.locator('#conn.done').waitFor({ timeout: 30_000 });
    expect(await page.locator('#phase').textContent()).toBe('completed');
    expect(browser.errors).toEqual([]);
  });

  it('the Approve button opens a gate (wave 2 starts only after it, from the record)', async () => {
    const mine = stack.emulator.instances().filter((i) => i.regionId === 'cn-beijing').slice(2, 7);
    const since = stack.emulator.record().nextSeq;
    const handle = await stack.startRollout({ name: uniqueId('gate'), targets: targetsOf(mine), waves: { sizes: [1, '100%'], approvalBefore: [2] }, concurrency: { global: 4 }, instance: policy });
    await openRollout(handle.workflowId);
    await page.locator('#approve').waitFor({ state: 'visible', timeout: 60_000 });
    expect(await page.locator('#approve').textContent()).toBe('Approve wave 2');
    await page.locator('#gate').waitFor();
    await screenshot(page, 'dashboard-gate');
    expect(apiRestarts(since).length).toBe(1);
    const beforeApprove = stack.emulator.record().nextSeq;
    await page.locator('#approve').click();
    expect(await result('ok')).toMatch(/Wave 2 approved/);
    await until('wave 2 restarts', () => (apiRestarts(beforeApprove).length === 4 ? true : undefined));
    expect(apiRestarts(since).length).toBe(5);
    const report = (await handle.result()) as RolloutReport;
    expect(report.phase).toBe('completed');
    expect(report.waves[1]?.approvedBy).toBe(BY);
    await until('the approval in the page audit', async () => ((await page.locator('#audit').textContent()) ?? '').includes(BY));
    expect(await page.locator('#approve').isHidden()).toBe(true);
    expect(browser.errors).toEqual([]);
  });

  it('skip from the page releases a hung instance', async () => {
    const mine = stack.emulator.instances().filter((i) => i.regionId === 'cn-beijing').slice(7, 10);
    const hung = mine[0]!;
    stack.emulator.patchInstance(hung.instanceId, { stuck: true });
    const since = stack.emulator.record().nextSeq;
    const handle = await stack.startRollout({ name: uniqueId('hung'), targets: targetsOf(mine), waves: { sizes: ['100%'] }, concurrency: { global: 1 }, instance: policy });
    await openRollout(handle.workflowId);
    // With one slot, the hung restart holds the rollout: it stays in flight, restarting.
    const button = page.locator(`#inflight button[data-skip="${hung.instanceId}"]`);
    await button.waitFor({ timeout: 60_000 });
    await until('the hung restart in flight for a while', async () => {
      const restarts = apiRestarts(since);
      return restarts.some((r) => r.instanceId === hung.instanceId) && (await page.locator('#inflight').textContent())?.includes('restarting');
    });
    page.once('dialog', (d) => void d.accept());
    await button.click();
    expect(await result('ok')).toContain(`${hung.instanceId} released`);
    const report = (await handle.result()) as RolloutReport;
    expect(report.phase).toBe('completed');
    const released = report.instances.find((i) => i.instanceId === hung.instanceId);
    expect(released).toMatchObject({ outcome: 'unknown', releasedBy: BY });
    // The emulator still has it restarting: the rollout went on without waiting for it.
    const record = stack.emulator.record(since);
    expect(record.restarts.find((r) => r.instanceId === hung.instanceId)?.outcome).toBe('stuck');
    expect(report.counts.restarted).toBe(2);
    expect(record.restarts.filter((r) => r.outcome === 'running').map((r) => r.instanceId).sort()).toEqual(mine.slice(1).map((i) => i.instanceId).sort());
    expect(browser.errors).toEqual([]);
  });
});
