/**
 * The dashboard's routes on `starwave serve`, over real sockets with a fake Temporal client: the pages (public,
 * no data, strict headers), its files (ETag, gzip), the live-view route (token first, JSON or server-sent
 * events, deadlines), and approve links (signature, expiry, run, gate; `by` from the link; HTML refusals with
 * their status). No answer and no log line carries the bearer token or an approve token.
 */
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { afterEach, describe, expect, it } from 'vitest';
import { approveTokenFingerprint, signApproveToken } from '../../src/api/approve-link';
import { startApiServer, type ApiOptions, type ApiServer } from '../../src/api/server';
import type { ControlAck, RolloutProgress } from '../../src/contracts/rollout';
import type { DashboardView } from '../../src/api/dashboard/view';
import { syntheticProgress } from './dashboard-fixtures';

const TOKEN = 'unit-dashboard-token-0123456789';
const SECRET = 'unit-approve-link-secret-0123456789';
const ID = 'starwave-rollout-synthetic';
const NOW = 1_764_576_000_000;

interface Fake {
  progress: RolloutProgress;
  status: 'RUNNING' | 'COMPLETED';
  updates: Array<{ name: string; args: unknown[] }>;
  reject?: string;
  queries: number;
}

function fakeTemporal(): { fake: Fake; client: Client } {
  const progress = syntheticProgress({ regions: ['cn-hangzhou'], perRegion: 6, waves: 2, done: 3, listed: 'all', startedAtMs: NOW - 60_000 });
  progress.waves[1]!.approvalRequired = true;
  progress.waves[1]!.status = 'pending';
  const fake: Fake = { progress, status: 'RUNNING', updates: [], queries: 0 };
  const handle = (id: string) => ({
    describe: async () => {
      if (id !== ID) throw new WorkflowNotFoundError('workflow not found', id, undefined);
      return { type: 'rolloutWorkflow', status: { name: fake.status }, runId: 'run-1', startTime: new Date(NOW - 60_000), taskQueue: 'tq', ...(fake.status === 'RUNNING' ? {} : { closeTime: new Date(NOW) }) };
    },
    query: async () => {
      fake.queries++;
      return structuredClone(fake.progress);
    },
    result: async () => ({ ...structuredClone(fake.progress), phase: 'completed', finishedAtMs: NOW }),
    executeUpdate: async (name: string, o: { args: unknown[] }) => {
      fake.updates.push({ name, args: o.args });
      if (fake.reject) throw new WorkflowUpdateFailedError('update failed', ApplicationFailure.create({ type: 'ERR_CONTROL_REJECTED', message: fake.reject, nonRetryable: true }));
      const p = fake.progress;
      const ack: ControlAck = { phase: 'running', paused: false, cancelRequested: false, currentWave: 2, counts: p.counts, limits: p.limits, message: `Wave ${(o.args[0] as { wave: number }).wave} approved.` };
      return ack;
    },
  });
  const client = {
    options: { namespace: 'default' },
    withDeadline: (_deadline: number, fn: () => Promise<unknown>) => fn(),
    workflow: { getHandle: handle },
    workflowService: { getSystemInfo: async () => ({}), describeTaskQueue: async () => ({ pollers: [{ identity: 'w' }] }) },
  } as unknown as Client;
  return { fake, client };
}

const servers: ApiServer[] = [];
afterEach(async () => {
  while (servers.length) await servers.pop()!.close();
});

async function serve(opts: Partial<ApiOptions> = {}) {
  const { fake, client } = fakeTemporal();
  const logs: Array<Record<string, unknown>> = [];
  const api = await startApiServer({ port: 0, token: TOKEN, taskQueue: 'tq', getClient: async () => client, log: (e) => logs.push(e), now: () => NOW, events: { pollMs: 20 }, ...opts });
  servers.push(api);
  return { api, fake, logs };
}

const get = (api: ApiServer, path: string, headers: Record<string, string> = {}) => fetch(`${api.url}${path}`, { headers, redirect: 'manual' });
const authed = { authorization: `Bearer ${TOKEN}` };

describe('dashboard pages and files', () => {
  it('serves the pages without the token, with no data in them and strict headers', async () => {
    const { api, fake, logs } = await serve();
    for (const path of ['/', `/rollouts/${ID}`]) {
      const res = await get(api, path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'; script-src 'self'; style-src 'self'.*frame-ancestors 'none'/);
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('cache-control')).toBe('no-store');
      const html = await res.text();
      expect(html).toContain('<script src="/dashboard/app.js"></script>');
      expect(html).not.toMatch(/<script>|style="|on(click|load)=/); // nothing inline: the CSP forbids it
      expect(html).not.toContain(TOKEN);
    }
    expect(await (await get(api, `/rollouts/${ID}`)).text()).toContain(`data-rollout-id="${ID}"`);
    expect(fake.queries).toBe(0); // pages read nothing from Temporal
    expect((await get(api, '/rollouts/starwave-leases-x')).status).toBe(404);
    expect((await fetch(`${api.url}/`, { method: 'POST' })).status).toBe(405);
    // The 405 is answered before any route matched.
    expect(logs.map((l) => l['route'])).toEqual(['/', '/rollouts/{id}', '/rollouts/{id}', '/rollouts/{id}', undefined]);
  });

  it('serves its script and stylesheet from the package, with ETags and gzip', async () => {
    const { api } = await serve();
    const js = await get(api, '/dashboard/app.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const etag = js.headers.get('etag')!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
    expect(await js.text()).toContain("var TOKEN_KEY = 'starwave.token';");
    expect((await get(api, '/dashboard/app.js', { 'if-none-match': etag })).status).toBe(304);
    const css = await get(api, '/dashboard/app.css');
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    // fetch asks for gzip and inflates it; the raw size shows it was compressed.
    expect(js.headers.get('content-encoding')).toBe('gzip');
    expect(Number(js.headers.get('content-length'))).toBeLessThan(12 * 1024);
    expect((await get(api, '/dashboard/nope.js')).status).toBe(404);
  });
});

describe('live view (GET /v1/rollouts/{id}/events)', () => {
  it('needs the token, answers 404 for what is not a rollout, and one JSON view without Accept: text/event-stream', async () => {
    const { api, fake } = await serve();
    const anonymous = await get(api, `/v1/rollouts/${ID}/events`, { accept: 'text/event-stream' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
    expect(fake.queries).toBe(0);
    expect((await get(api, '/v1/rollouts/starwave-rollout-nope/events', authed)).status).toBe(404);
    const res = await get(api, `/v1/rollouts/${ID}/events`, authed);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const view = (await res.json()) as DashboardView;
    expect(view).toMatchObject({ rolloutId: ID, runId: 'run-1', executionStatus: 'RUNNING', final: false, grid: { listed: 'all', regions: ['cn-hangzhou'] } });
    expect(view.grid.rows.map((r) => r.cells[0]!.states)).toEqual(['RRR', 'ppp']);
  });

  it('streams a view, the next one when it changed, and the end of the run', async () => {
    const { api, fake, logs } = await serve();
    const controller = new AbortController();
    const res = await fetch(`${api.url}/v1/rollouts/${ID}/events`, { headers: { ...authed, accept: 'text/event-stream' }, signal: controller.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const readUntil = async (what: string, done: () => boolean): Promise<void> => {
      const deadline = Date.now() + 10_000;
      while (!done()) {
        if (Date.now() > deadline) throw new Error(`no ${what} in the stream: ${text.slice(0, 500)}`);
        const r = await reader.read();
        if (r.done) break;
        text += decoder.decode(r.value, { stream: true });
      }
    };
    const views = (): DashboardView[] => [...text.matchAll(/event: view\ndata: (.*)\n\n/g)].map((m) => JSON.parse(m[1]!) as DashboardView);
    await readUntil('first view', () => views().length >= 1);
    expect(text.startsWith('retry: 2000\n\nid: 1\nevent: view\n')).toBe(true);
    fake.progress = syntheticProgress({ regions: ['cn-hangzhou'], perRegion: 6, waves: 2, done: 5, listed: 'all', startedAtMs: NOW - 60_000 });
    await readUntil('second view', () => views().length >= 2);
    expect(views()[1]!.progress?.counts.restarted).toBe(5);
    expect(text).toContain('id: 2\nevent: view');
    fake.status = 'COMPLETED';
    await readUntil('end', () => text.includes('event: end'));
    expect(views().at(-1)!.final).toBe(true);
    expect((await reader.read()).done).toBe(true); // the server closed the stream
    await until(() => logs.some((l) => l['route'] === '/v1/rollouts/{id}/events' && l['status'] === 200));
  });

  it('stops watching when the browser leaves (the stream ends and is logged)', async () => {
    const { api, logs } = await serve();
    const controller = new AbortController();
    const res = await fetch(`${api.url}/v1/rollouts/${ID}/events`, { headers: { ...authed, accept: 'text/event-stream' }, signal: controller.signal });
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('event: view')) text += new TextDecoder().decode((await reader.read()).value);
    expect(logs.some((l) => l['route'] === '/v1/rollouts/{id}/events')).toBe(false); // still streaming
    controller.abort();
    // The access line is written when the stream's finish ran, which unsubscribes from the poller.
    await until(() => logs.some((l) => l['route'] === '/v1/rollouts/{id}/events' && l['status'] === 200));
  });

  it('answers within its deadline when Temporal hangs (504), before any stream starts', async () => {
    const hanging = {
      options: { namespace: 'default' },
      withDeadline: (_d: number, fn: () => Promise<unknown>) => fn(),
      workflow: { getHandle: () => ({ describe: () => new Promise(() => {}) }) },
      workflowService: { getSystemInfo: async () => ({}) },
    } as unknown as Client;
    const { api } = await serve({ readTimeoutMs: 200, getClient: async () => hanging });
    const started = Date.now();
    const res = await get(api, `/v1/rollouts/${ID}/events`, { ...authed, accept: 'text/event-stream' });
    expect(res.status).toBe(504);
    expect(((await res.json()) as { code: string }).code).toBe('ERR_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

async function until(fn: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('approve links (GET and POST /approve)', () => {
  const link = (o: Partial<{ wave: number; issuedAt: number; expiresAt: number; label: string; secret: string }> = {}) =>
    signApproveToken(o.secret ?? SECRET, { rolloutId: ID, wave: o.wave ?? 2, issuedAt: o.issuedAt ?? NOW / 1000 - 10, expiresAt: o.expiresAt ?? NOW / 1000 + 3600, ...(o.label ? { label: o.label } : {}) });
  const post = (api: ApiServer, body: string, type = 'application/x-www-form-urlencoded') => fetch(`${api.url}/approve`, { method: 'POST', headers: { 'content-type': type }, body });
  const openGate = (fake: Fake): void => {
    fake.progress.waves[1]!.status = 'awaiting_approval';
    fake.progress.currentWave = 2;
    fake.progress.phase = 'awaiting_approval';
  };

  it('shows the confirmation without approving, then approves with the form, recorded as the link', async () => {
    const { api, fake, logs } = await serve({ approveLinkSecret: SECRET });
    openGate(fake);
    const token = link();
    const page = await get(api, `/approve?t=${token}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await page.text();
    expect(html).toContain('Approve wave 2 of 2');
    expect(html).toContain('<form method="post" action="/approve">');
    expect(html).toContain(`name="t" value="${token}"`);
    expect(fake.updates).toEqual([]); // opening the link approves nothing (chat apps preview links)

    const approved = await post(api, `t=${token}`);
    expect(approved.status).toBe(200);
    expect(await approved.text()).toContain('Wave 2 approved');
    const by = `approve-link:${approveTokenFingerprint(token)}`;
    expect(fake.updates).toEqual([{ name: 'approve', args: [{ wave: 2, by }] }]);

    // Once approved, the link shows why it cannot approve again.
    fake.progress.waves[1]!.approvedBy = by;
    const again = await get(api, `/approve?t=${token}`);
    expect(again.status).toBe(409);
    expect(await again.text()).toContain(`Wave 2 is already approved (by ${by}).`);
    expect((await post(api, `t=${token}`)).status).toBe(409);
    expect(fake.updates.length).toBe(1);

    // JSON works too, with a label.
    fake.progress.waves[1]!.approvedBy = undefined;
    const labelled = link({ label: 'slack-ops' });
    expect((await post(api, JSON.stringify({ t: labelled }), 'application/json')).status).toBe(200);
    expect(fake.updates[1]).toEqual({ name: 'approve', args: [{ wave: 2, by: 'approve-link:slack-ops' }] });

    const text = JSON.stringify(logs);
    expect(text).not.toContain(token.split('.')[2]!);
    expect(text).not.toContain(labelled.split('.')[1]!);
    expect(text).not.toContain(TOKEN);
    expect(logs.filter((l) => l['route'] === '/approve').map((l) => [l['method'], l['status']])).toEqual([
      ['GET', 200],
      ['POST', 200],
      ['GET', 409],
      ['POST', 409],
      ['POST', 200],
    ]);
    expect(logs.find((l) => l['method'] === 'POST' && l['status'] === 200)).toMatchObject({ id: ID, by });
  });

  it('refuses links it cannot trust, each with its sentence and status, and sends nothing', async () => {
    const { api, fake } = await serve({ approveLinkSecret: SECRET });
    openGate(fake);
    const good = link();
    const cases: Array<[string, string, number, RegExp]> = [
      ['no token', '/approve', 400, /incomplete or damaged/],
      ['damaged', '/approve?t=v1.abc', 400, /incomplete or damaged/],
      ['another key', `/approve?t=${link({ secret: `${SECRET}-other` })}`, 403, /not signed by this starwave/],
      ['expired', `/approve?t=${link({ issuedAt: NOW / 1000 - 7200, expiresAt: NOW / 1000 - 1 })}`, 403, /expired at/],
      ['earlier run', `/approve?t=${link({ issuedAt: NOW / 1000 - 3600 })}`, 409, /made for an earlier run/],
      ['a wave without a gate open', `/approve?t=${link({ wave: 1 })}`, 409, /Wave 1 is no longer waiting for an approval \(it is done\)/],
      ['twice', `/approve?t=${good}&t=${good}`, 400, /incomplete or damaged/],
    ];
    for (const [label, path, status, sentence] of cases) {
      const res = await get(api, path);
      expect(res.status, label).toBe(status);
      const html = await res.text();
      expect(html, label).toMatch(sentence);
      expect(html, label).toMatch(/Nothing was approved|cannot be approved with this link/);
      expect(res.headers.get('content-type'), label).toBe('text/html; charset=utf-8');
    }
    expect((await post(api, 'x=1', 'text/plain')).status).toBe(415);
    expect((await post(api, '')).status).toBe(400);
    expect((await post(api, `t=${good}&t=${good}`)).status).toBe(400);
    expect((await post(api, `t=${'x'.repeat(300 * 1024)}`)).status).toBe(413);
    expect(fake.updates).toEqual([]);
  });

  it("answers the workflow's own refusal (an approval that raced another) with its sentence", async () => {
    const { api, fake } = await serve({ approveLinkSecret: SECRET });
    openGate(fake);
    fake.reject = 'Wave 2 is already approved (by cli:alice).';
    const res = await post(api, `t=${link()}`);
    expect(res.status).toBe(409);
    expect(await res.text()).toContain('Wave 2 is already approved (by cli:alice).');
    expect(fake.updates.length).toBe(1);
  });

  it('says approve links are off when starwave serve has no key, and what to do instead', async () => {
    const { api, fake } = await serve();
    openGate(fake);
    const res = await get(api, `/approve?t=${link()}`);
    expect(res.status).toBe(403);
    expect(await res.text()).toMatch(/Approve links are not enabled on this server: starwave serve needs STARWAVE_APPROVE_LINK_SECRET/);
    expect((await post(api, `t=${link()}`)).status).toBe(403);
    expect(fake.updates).toEqual([]);
  });
});
