/**
 * Notifications: a rollout's events delivered to the receivers configured in the worker's
 * environment (STARWAVE_NOTIFY_URLS — the URLs are secrets and live only there): a generic JSON
 * webhook signed with HMAC-SHA256 over a timestamp and the body (STARWAVE_WEBHOOK_SECRET), Slack's
 * incoming-webhook format, and DingTalk's robot format (optionally signed with the robot's secret).
 *
 * One activity per notification; it records per receiver in its heartbeat what was delivered, so a
 * Temporal retry sends only to the receivers still missing. A failing receiver never fails the
 * rollout: the engine records the delivery as failed and goes on.
 */
import { createHmac } from 'node:crypto';
import { request, type Dispatcher } from 'undici';
import { z } from 'zod';
import type { RolloutNotification } from '../contracts/rollout';
import { ConfigError } from '../config/env';

export const RECEIVER_KINDS = ['webhook', 'slack', 'dingtalk'] as const;
export type ReceiverKind = (typeof RECEIVER_KINDS)[number];

const receiverSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 letters, digits, ".", "_" or "-"'),
    kind: z.enum(RECEIVER_KINDS, { message: `must be one of ${RECEIVER_KINDS.join(', ')}` }),
    url: z.string().url('must be an http(s) URL').refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URL'),
    /** DingTalk robot secret (signed mode); webhooks use STARWAVE_WEBHOOK_SECRET. */
    secret: z.string().min(1).optional(),
  })
  .strict();
export type Receiver = z.infer<typeof receiverSchema>;

/** STARWAVE_NOTIFY_URLS → receivers; problems by path, never echoing a URL (they are secrets). */
export function parseReceivers(json: string | undefined): Receiver[] {
  if (!json) return [];
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new ConfigError([{ path: 'STARWAVE_NOTIFY_URLS', message: 'is not valid JSON; give an array such as [{"name":"ops","kind":"slack","url":"https://hooks.slack.com/…"}]' }]);
  }
  const parsed = z.array(receiverSchema).safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => ({ path: `STARWAVE_NOTIFY_URLS${i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}`, message: i.message })));
  }
  const names = parsed.data.map((r) => r.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new ConfigError([{ path: 'STARWAVE_NOTIFY_URLS', message: `receiver "${dup}" is named twice` }]);
  return parsed.data;
}

export interface Formatted {
  body: string;
  headers: Record<string, string>;
  /** The URL to send to (DingTalk's signed mode adds timestamp and sign). */
  url: string;
}

export interface FormatOptions {
  nowMs: number;
  webhookSecret?: string;
  /** Public base URL of `starwave serve` for links (STARWAVE_DASHBOARD_URL). */
  dashboardUrl?: string;
  /** A signed, expiring approve link (approval_needed), when the worker can make one. */
  approveLink?: string;
}

/** Header that carries the webhook signature: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export const SIGNATURE_HEADER = 'x-starwave-signature';

export function signWebhook(secret: string, timestampSeconds: number, body: string): string {
  return `t=${timestampSeconds},v1=${createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex')}`;
}

/** Verifies a webhook signature within `toleranceSeconds` of `nowMs` (receivers use the same check). */
export function verifyWebhook(secret: string, header: string | undefined, body: string, nowMs: number, toleranceSeconds = 300): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!m) return false;
  const t = Number(m[1]);
  if (Math.abs(nowMs / 1000 - t) > toleranceSeconds) return false;
  const expected = signWebhook(secret, t, body).split('v1=')[1]!;
  // Constant-time comparison of equal-length hex strings.
  let diff = 0;
  for (let i = 0; i < expected.length; i++) diff |= expected.charCodeAt(i) ^ m[2]!.charCodeAt(i);
  return diff === 0;
}

function links(n: RolloutNotification, o: FormatOptions): { rollout?: string; approve?: string } {
  const base = o.dashboardUrl?.replace(/\/+$/, '');
  return {
    ...(base ? { rollout: `${base}/rollouts/${encodeURIComponent(n.rolloutId)}` } : {}),
    ...(o.approveLink ? { approve: o.approveLink } : base && n.event === 'approval_needed' ? { approve: `${base}/rollouts/${encodeURIComponent(n.rolloutId)}#approve` } : {}),
  };
}

export function formatFor(receiver: Receiver, n: RolloutNotification, o: FormatOptions): Formatted {
  const l = links(n, o);
  const lines = [n.text, ...(n.stopSentence ? [n.stopSentence] : []), ...(n.approveCommand ? [`Approve: ${n.approveCommand}`] : []), ...(l.approve ? [`Approve in the dashboard: ${l.approve}`] : []), ...(l.rollout ? [`Rollout: ${l.rollout}`] : [])];
  switch (receiver.kind) {
    case 'webhook': {
      const body = JSON.stringify({ ...n, links: l });
      const t = Math.floor(o.nowMs / 1000);
      return {
        url: receiver.url,
        body,
        headers: {
          'content-type': 'application/json',
          'x-starwave-event': n.event,
          'x-starwave-delivery': `${n.rolloutId}/${n.seq}`,
          ...(o.webhookSecret ? { [SIGNATURE_HEADER]: signWebhook(o.webhookSecret, t, body) } : {}),
        },
      };
    }
    case 'slack':
      return { url: receiver.url, body: JSON.stringify({ text: lines.join('\n') }), headers: { 'content-type': 'application/json' } };
    case 'dingtalk': {
      let url = receiver.url;
      if (receiver.secret) {
        // DingTalk robot signed mode: sign = base64(HMAC-SHA256(secret, "<ms>\n<secret>")), both in the query.
        const ts = o.nowMs;
        const sign = createHmac('sha256', receiver.secret).update(`${ts}\n${receiver.secret}`).digest('base64');
        url += `${url.includes('?') ? '&' : '?'}timestamp=${ts}&sign=${encodeURIComponent(sign)}`;
      }
      return {
        url,
        body: JSON.stringify({ msgtype: 'markdown', markdown: { title: `starwave: ${n.name} ${n.event.replace('_', ' ')}`, text: lines.map((x) => `- ${x}`).join('\n') } }),
        headers: { 'content-type': 'application/json' },
      };
    }
  }
}

export interface DeliveryState {
  /** receiver name → attempts so far and whether it was delivered. */
  receivers: Record<string, { attempts: number; delivered: boolean; error?: string }>;
}

export interface DeliverOptions {
  receivers: Receiver[];
  /** Only these receivers (spec notify.receivers); default all. */
  only?: string[];
  previous?: DeliveryState;
  heartbeat: (state: DeliveryState) => void;
  format: Omit<FormatOptions, 'nowMs'>;
  now: () => number;
  dispatcher?: Dispatcher;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Sends `n` to every receiver not yet delivered; returns their states. Throws when one is still
 * missing, so Temporal's retry policy tries again (only the missing ones, from the heartbeat).
 */
export async function deliverNotification(n: RolloutNotification, o: DeliverOptions): Promise<DeliveryState> {
  const wanted = o.only ? o.receivers.filter((r) => o.only!.includes(r.name)) : o.receivers;
  const state: DeliveryState = { receivers: { ...(o.previous?.receivers ?? {}) } };
  for (const name of o.only ?? []) {
    if (!o.receivers.some((r) => r.name === name)) state.receivers[name] = { attempts: 0, delivered: false, error: `no receiver "${name}" is configured in this worker's STARWAVE_NOTIFY_URLS` };
  }
  for (const receiver of wanted) {
    const before = state.receivers[receiver.name];
    if (before?.delivered) continue;
    const attempts = (before?.attempts ?? 0) + 1;
    try {
      const f = formatFor(receiver, n, { ...o.format, nowMs: o.now() });
      const res = await request(f.url, {
        method: 'POST',
        headers: f.headers,
        body: f.body,
        headersTimeout: o.timeoutMs ?? 10_000,
        bodyTimeout: o.timeoutMs ?? 10_000,
        ...(o.dispatcher ? { dispatcher: o.dispatcher } : {}),
        ...(o.signal ? { signal: o.signal } : {}),
      });
      await res.body.text().catch(() => '');
      state.receivers[receiver.name] =
        res.statusCode >= 200 && res.statusCode < 300 ? { attempts, delivered: true } : { attempts, delivered: false, error: `${receiver.kind} receiver ${receiver.name} answered HTTP ${res.statusCode}` };
    } catch (err) {
      // Never the URL (it is a secret): the kind, the name and the network error's code.
      const code = (err as { code?: unknown }).code;
      state.receivers[receiver.name] = { attempts, delivered: false, error: `${receiver.kind} receiver ${receiver.name} could not be reached${typeof code === 'string' ? ` (${code})` : ''}` };
    }
    o.heartbeat(state);
  }
  const missing = Object.entries(state.receivers).filter(([name, r]) => !r.delivered && wanted.some((w) => w.name === name));
  if (missing.length) {
    const e = new Error(`${missing.length} receiver(s) not delivered yet: ${missing.map(([, r]) => r.error).join('; ')}`);
    (e as Error & { state: DeliveryState }).state = state;
    throw e;
  }
  return state;
}
