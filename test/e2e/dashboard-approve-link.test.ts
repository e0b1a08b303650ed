/**
 * Approvals where people are, end to end: the rollout reaches its gate, the worker's approval-needed
 * notification (a real webhook receiver) carries a signed, expiring link to `starwave serve`'s approve page and
 * the CLI command; the link opened in chromium shows a confirmation (opening it approves nothing), its button
 * approves, and the emulator's record shows wave 2 starting only then. The report records who approved
 * (`approve-link:<fingerprint>`); the same link cannot approve twice, a changed one is refused, and neither
 * the link nor the token appears in the server's log.
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { approveLinkSigner, approveTokenFingerprint, verifyApproveToken } from '../../src/api/approve-link';
import { startApiServer, type ApiServer } from '../../src/api/server';
import type { RolloutNotification, RolloutReport } from '../../src/contracts/rollout';
import { fleet, startStack, type Stack } from '../support/stack';
import { uniqueId } from '../support/temporal';
import { launchBrowser, screenshot, TOKEN, until, type Browser } from './dashboard-support';

const SECRET = 'e2e-approve-link-secret-0123456789abcdef';
let stack: Stack;
let api: ApiServer;
let browser: Browser;
let page: Page;
let receiver: Server;
const received: RolloutNotification[] = [];
const logs: string[] = [];

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createNetServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  browser = await launchBrowser();
  page = browser.page;
  receiver = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as RolloutNotification);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  // The dashboard's public URL must be known to the worker before `starwave serve` listens there.
  const port = await freePort();
  const dashboardUrl = `http://127.0.0.1:${port}`;
  stack = await startStack(fleet(['cn-hangzhou'], 4, 400), {
    notifier: { receivers: [{ name: 'ops', kind: 'webhook', url: hook }], dashboardUrl, approveLink: approveLinkSigner({ secret: SECRET, dashboardUrl }) },
  });
  api = await startApiServer({ port, token: TOKEN, taskQueue: stack.taskQueue, getClient: async () => stack.client, approveLinkSecret: SECRET, log: (e) => logs.push(JSON.stringify(e)) });
});
afterAll(async () => {
  await browser?.close();
  await api?.close();
  await stack?.close();
  await new Promise<void>((r) => (receiver ? receiver.close(() => r()) : r()));
});

describe('approve links', () => {
  it('the approval-needed notification carries a signed link; opening it and pressing Approve opens the gate', async () => {
    const since = stack.emulator.record().nextSeq;
    const handle = await stack.startRollout({
      name: uniqueId('linked'),
      targets: { selectors: [{ regions: ['cn-hangzhou'] }] },
      waves: { sizes: [1, '100%'], approvalBefore: [2] },
      concurrency: { global: 3 },
      instance: { pollIntervalSeconds: 0.1, confirmTimeoutSeconds: 30, heartbeatTimeoutSeconds: 5, expectedRestartSeconds: 0.4 },
    });
    const id = handle.workflowId;
    const needed = await until('the approval-needed notification', () => received.find((n) => n.rolloutId === id && n.event === 'approval_needed'));
    const links = (needed as RolloutNotification & { links?: { approve?: string; rollout?: string } }).links ?? {};
    expect(needed.wave).toBe(2);
    expect(needed.approveCommand).toMatch(new RegExp(`starwave approve ${id} --wave 2`));
    expect(links.rollout).toBe(`${api.url}/rollouts/${encodeURIComponent(id)}`);
    const link = links.approve!;
    expect(link).toMatch(new RegExp(`^${api.url.replace(/[.]/g, '\\.')}/approve\\?t=v1\\.`));
    const token = new URL(link).searchParams.get('t')!;
    expect(verifyApproveToken(SECRET, token, Date.now())).toMatchObject({ ok: true, claims: { rolloutId: id, wave: 2 } });
    expect(stack.emulator.record(since).restarts.length).toBe(1);

    // Opening the link (as a chat app's preview would) shows what it approves, and approves nothing.
    await page.goto(link);
    await page.locator('#approve-link-submit').waitFor();
    expect(await page.locator('h1').textContent()).toBe('Approve wave 2 of 2');
    expect(await page.locator('main').textContent()).toContain(id);
    await screenshot(page, 'approve-link');
    const beforeClick = stack.emulator.record().nextSeq;
    expect(stack.emulator.record(since).restarts.length).toBe(1);
    await page.locator('#approve-link-submit').click();
    await page.locator('#approved').waitFor();
    expect(await page.locator('#approved').textContent()).toBe('Wave 2 approved');
    const by = `approve-link:${approveTokenFingerprint(token)}`;
    expect(await page.locator('main').textContent()).toContain(by);
    // The form posted the token in its body: the address bar is plain /approve now.
    expect(page.url()).toBe(`${api.url}/approve`);

    await until('wave 2 restarts', () => (stack.emulator.record(beforeClick).restarts.length === 3 ? true : undefined));
    const report = (await handle.result()) as RolloutReport;
    expect(report.phase).toBe('completed');
    expect(report.waves[1]!.approvedBy).toBe(by);
    expect(report.audit.find((a) => a.action === 'approve')).toMatchObject({ by, detail: 'wave 2' });

    // The same link cannot approve again, and a changed one is refused.
    const again = await page.goto(link);
    expect(again?.status()).toBe(409);
    expect(await page.locator('main').textContent()).toMatch(/finished|already approved/);
    const [v, payload, mac] = token.split('.') as [string, string, string];
    const forged = await page.goto(`${api.url}/approve?t=${v}.${payload}.${mac.slice(0, -2)}${mac.endsWith('AA') ? 'BB' : 'AA'}`);
    expect(forged?.status()).toBe(403);
    expect(await page.locator('#approve-error').textContent()).toMatch(/not signed by this starwave/);

    const log = logs.join('\n');
    expect(log).not.toContain(mac);
    expect(log).not.toContain(payload);
    expect(log).not.toContain(TOKEN);
    expect(log).toContain(`"by":"${by}"`);
    expect(browser.errors).toEqual([]);
  });
});
