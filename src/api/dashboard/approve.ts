/**
 * `GET /approve?t=…` and `POST /approve`: the approve-link pages. GET verifies the link (signature, expiry) and
 * shows what it would approve, with the button only while the gate is open; POST verifies again, checks the
 * gate and that the link was made for this run, and sends the approve update with `by: approve-link:…` — the
 * workflow's validator has the last word (an approval that raced another one is refused with its sentence).
 * Both answer HTML (the pages work without script), including every refusal, with the status of its code.
 */
import type { ControlAck, RolloutProgress } from '../../contracts/rollout';
import type { RolloutStatus } from '../../client';
import { StarwaveError } from '../../contracts/errors';
import { APPROVE_TOKEN_PATTERN, earlierRunError, linkIsForRun, verifyApproveToken, type ApproveLinkClaims } from '../approve-link';
import { approveConfirmPage, approvedPage, approveErrorPage } from './pages';

export interface ApproveLinkDeps {
  /** STARWAVE_APPROVE_LINK_SECRET of `starwave serve`; undefined → links are not enabled here. */
  secret: string | undefined;
  now: () => number;
  /** The rollout's status (summary detail), under the API's read deadline. */
  read: (rolloutId: string) => Promise<RolloutStatus>;
  /** Sends the approve update as `by`, under the API's update deadline (the workflow validates it). */
  approve: (rolloutId: string, wave: number, by: string) => Promise<ControlAck>;
}

export interface PageAnswer {
  status: number;
  html: string;
  /** An internal error's message, for the server log (the page says only that the log has the details). */
  internal?: string;
}

const TOKEN = new RegExp(APPROVE_TOKEN_PATTERN);

class PageError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly rolloutId?: string,
  ) {
    super(message);
  }
}

/** The verified claims of a request's token, or a PageError with the sentence for the person holding it. */
function verified(deps: ApproveLinkDeps, token: string | undefined): { claims: ApproveLinkClaims; by: string } {
  if (!deps.secret) {
    throw new PageError(403, 'Approve links are not enabled on this server: starwave serve needs STARWAVE_APPROVE_LINK_SECRET (the same key as the worker that sent the link). Approve in the dashboard or with "starwave approve <id> --wave N".');
  }
  if (!token || !TOKEN.test(token)) throw new PageError(400, 'This approve link is incomplete or damaged; open the link from the notification again, or approve in the dashboard.');
  const v = verifyApproveToken(deps.secret, token, deps.now());
  if (!v.ok) throw new PageError(v.reason === 'malformed' ? 400 : 403, v.message, v.claims?.rolloutId);
  return { claims: v.claims, by: v.by };
}

/** Why the gate of `wave` cannot be approved through a link right now, or null when it is open. */
export function gateClosedBecause(status: RolloutStatus, claims: ApproveLinkClaims): string | null {
  const p: RolloutProgress | undefined = status.progress;
  if (status.executionStatus !== 'RUNNING') {
    return `Rollout ${claims.rolloutId} has finished (${p?.phase ?? status.executionStatus.toLowerCase()}); there is nothing left to approve.`;
  }
  if (!p) return `Rollout ${claims.rolloutId} has no progress to show yet; try again in a moment.`;
  if (!linkIsForRun(claims, p.startedAtMs)) return earlierRunError(claims).message;
  const w = p.waves.find((x) => x.number === claims.wave);
  if (!w) return p.waves.length ? `Rollout ${claims.rolloutId} has no wave ${claims.wave} (it has ${p.waves.length}).` : `Rollout ${claims.rolloutId} is still planning its waves; try again in a moment.`;
  if (w.approvedBy !== undefined) return `Wave ${claims.wave} is already approved (by ${w.approvedBy}).`;
  if (w.status === 'awaiting_approval') return null;
  if (w.status === 'pending') return `Wave ${claims.wave} is not waiting for an approval yet (the rollout is at wave ${p.currentWave ?? '?'}, ${p.phase.replace(/_/g, ' ')}); open this link again when it asks.`;
  return `Wave ${claims.wave} is no longer waiting for an approval (it is ${w.status.replace(/_/g, ' ')}).`;
}

function asPage(err: unknown, rolloutId?: string): PageAnswer {
  if (err instanceof PageError) return { status: err.status, html: approveErrorPage(err.status, err.message, err.rolloutId ?? rolloutId) };
  const e = err instanceof StarwaveError ? err : new StarwaveError('ERR_INTERNAL', err instanceof Error ? err.message : String(err));
  const internal = e.code === 'ERR_INTERNAL';
  const message = internal ? 'Internal error; the server log has the details.' : e.message;
  return { status: e.httpStatus, html: approveErrorPage(e.httpStatus, message, e.code === 'ERR_ROLLOUT_NOT_FOUND' ? undefined : rolloutId), ...(internal ? { internal: e.message } : {}) };
}

/** GET /approve?t=…: the confirmation page (200 with the button, 409 when the gate is not open). */
export async function approveLinkPage(deps: ApproveLinkDeps, token: string | undefined): Promise<PageAnswer> {
  let rolloutId: string | undefined;
  try {
    const { claims } = verified(deps, token);
    rolloutId = claims.rolloutId;
    const status = await deps.read(claims.rolloutId);
    const closed = gateClosedBecause(status, claims);
    const p = status.progress;
    return {
      status: closed === null ? 200 : 409,
      html: approveConfirmPage(
        {
          rolloutId: claims.rolloutId,
          wave: claims.wave,
          expiresAt: claims.expiresAt,
          closedBecause: closed,
          ...(p ? { name: p.name, waves: p.waves.length, phase: p.phase, counts: p.counts } : {}),
        },
        token!,
      ),
    };
  } catch (err) {
    return asPage(err, rolloutId);
  }
}

/** POST /approve (body `t=…`): approves the wave, answering the page with the rollout's state after it. */
export async function approveByLink(deps: ApproveLinkDeps, token: string | undefined): Promise<PageAnswer & { by?: string; rolloutId?: string }> {
  let rolloutId: string | undefined;
  try {
    const { claims, by } = verified(deps, token);
    rolloutId = claims.rolloutId;
    const closed = gateClosedBecause(await deps.read(claims.rolloutId), claims);
    if (closed !== null) throw new StarwaveError('ERR_CONTROL_REJECTED', closed);
    const ack = await deps.approve(claims.rolloutId, claims.wave, by);
    return { status: 200, by, rolloutId, html: approvedPage({ rolloutId: claims.rolloutId, wave: claims.wave, by, message: ack.message, phase: ack.phase, counts: ack.counts }) };
  } catch (err) {
    return { ...asPage(err, rolloutId), ...(rolloutId ? { rolloutId } : {}) };
  }
}

/** The token of a POST body: `t=…` form-encoded (the page's form) or `{"t": "…"}`; else a 400/415 sentence. */
export function tokenOfBody(bytes: Buffer, contentType: string | undefined): string | undefined {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const text = bytes.toString('utf8');
  if (type === 'application/x-www-form-urlencoded') {
    const values = new URLSearchParams(text).getAll('t');
    if (values.length > 1) throw new PageError(400, 'Send the approve link\'s token once (field t).');
    return values[0];
  }
  if (type === 'application/json' || type.endsWith('+json')) {
    let value: unknown;
    try {
      value = text.trim() ? JSON.parse(text) : undefined;
    } catch {
      throw new PageError(400, 'The body is not valid JSON; send {"t": "<token>"} or the page\'s form.');
    }
    const t = value && typeof value === 'object' && !Array.isArray(value) ? (value as { t?: unknown }).t : undefined;
    return typeof t === 'string' ? t : undefined;
  }
  if (bytes.length === 0) return undefined;
  throw new PageError(415, `Send the form of the approve page (application/x-www-form-urlencoded) or JSON {"t": "<token>"} (got ${type.slice(0, 60) || 'no content type'}).`);
}

/** A refusal of the body itself as a page (the server calls this around tokenOfBody and the body read). */
export function bodyErrorPage(err: unknown): PageAnswer {
  return asPage(err);
}
