/**
 * Notifications end to end: a real receiver (node:http) gets a rollout's events in order, each
 * signed (HMAC-SHA256 over the timestamp and the body, verified here), and a receiver that answers
 * 500 for a while neither slows nor fails the rollout — its restarts (from the emulator's record)
 * run as fast as with a healthy receiver, and every delivery attempt shows in the progress.
 */
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyWebhook } from '../../src/activities/notify';
import type { RolloutNotification } from '../../src/contracts/rollout';
import { fleet, startStack, type Stack } from '../support/stack';

const SECRET = 'test-webhook-secret-0123456789';
let stack: Stack | undefined;
let server: Server | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

interface Received {
  n: RolloutNotification;
  verified: boolean;
  answered: number;
}

/** A receiver that answers 500 to its first `failFirst` requests, then 200. */
async function receiver(failFirst = 0): Promise<{ url: string; received: Received[]; requests: () => number }> {
  const received: Received[] = [];
  let requests = 0;
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests++;
      const body = Buffer.concat(chunks).toString('utf8');
      const answered = requests <= failFirst ? 500 : 200;
      if (answered === 200) received.push({ n: JSON.parse(body) as RolloutNotification, verified: verifyWebhook(SECRET, req.headers['x-starwave-signature'] as string | undefined, body, Date.now()), answered });
      res.writeHead(answered).end();
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}/hook`, received, requests: () => requests };
}

const spec = {
  name: 'notify',
  targets: { selectors: [{ regions: ['cn-hangzhou'] }] },
  waves: { sizes: [1, '100%'] },
  concurrency: { global: 2 },
  instance: { pollIntervalSeconds: 0.1, confirmTimeoutSeconds: 30, heartbeatTimeoutSeconds: 5 },
};

describe('notifications', () => {
  it('a webhook receiver gets every event in order, each signed, deduplicable by rollout and seq', async () => {
    const hook = await receiver();
    stack = await startStack(fleet(['cn-hangzhou'], 4, 200), { notifier: { receivers: [{ name: 'audit', kind: 'webhook', url: hook.url }], webhookSecret: SECRET } });
    const report = await stack.runRollout(spec);
    expect(report.phase).toBe('completed');
    expect(hook.received.map((r) => r.n.event)).toEqual(['started', 'wave_started', 'wave_completed', 'wave_started', 'wave_completed', 'completed']);
    expect(hook.received.every((r) => r.verified)).toBe(true);
    expect(hook.received.map((r) => r.n.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    const done = hook.received.find((r) => r.n.event === 'wave_completed')!.n;
    expect(done.elapsedMs).toBeGreaterThan(0);
    expect(done.text).toMatch(/wave 1 of 2 done in \d+s: 1\/1 restarted/);
    expect(report.notifications?.every((d) => d.state === 'delivered')).toBe(true);
  });

  it('a signature made with another secret, or too old, does not verify', () => {
    const body = '{"x":1}';
    const now = Date.now();
    const t = Math.floor(now / 1000);
    const header = `t=${t},v1=${createHmac('sha256', 'other').update(`${t}.${body}`).digest('hex')}`;
    expect(verifyWebhook(SECRET, header, body, now)).toBe(false);
    const old = `t=${t - 3_600},v1=${createHmac('sha256', SECRET).update(`${t - 3_600}.${body}`).digest('hex')}`;
    expect(verifyWebhook(SECRET, old, body, now)).toBe(false);
  });

  it('a receiver answering 500 for a while does not slow or fail the rollout; the attempts show in the progress', async () => {
    const hook = await receiver(4);
    stack = await startStack(fleet(['cn-hangzhou'], 4, 200), { notifier: { receivers: [{ name: 'flaky', kind: 'webhook', url: hook.url }], webhookSecret: SECRET } });
    const report = await stack.runRollout(spec);
    const record = stack.emulator.record();
    expect(report.phase).toBe('completed');
    expect(record.restarts).toHaveLength(4);
    // The restarts were not held back: wave 2's first restart came right after wave 1's instance ran again.
    const wave1 = report.instances.find((r) => r.wave === 1)!.instanceId;
    const wave1Running = record.transitions.find((t) => t.instanceId === wave1 && t.to === 'running')!.tMs;
    const wave2First = Math.min(...record.restarts.filter((r) => r.instanceId !== wave1).map((r) => r.tMs));
    expect(wave2First - wave1Running).toBeLessThan(3_000);
    expect(hook.requests()).toBeGreaterThan(hook.received.length); // it did fail, and was retried
    const attempts = (report.notifications ?? []).flatMap((d) => d.receivers ?? []).map((r) => r.attempts);
    expect(Math.max(...attempts)).toBeGreaterThan(1);
    expect(hook.received.map((r) => r.n.event)).toContain('completed');
  });
});
