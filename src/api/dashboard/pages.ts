/**
 * The dashboard's HTML, rendered on the server: the list and rollout pages (their structure; the script fills
 * in the data it fetches with the bearer token, which never travels in a URL or cookie, so a page itself
 * carries no data), and the approve-link pages, which are complete without any script. Every page is sent
 * with a strict Content-Security-Policy (scripts and styles only from this server, no inline code, forms only
 * to this server, no framing) and `Referrer-Policy: no-referrer`, so an approve link's token never leaves in a
 * Referer header.
 */
import type { ServerResponse } from 'node:http';

export const HTML_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/** Text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function sendHtml(res: ServerResponse, status: number, html: string): number {
  if (res.headersSent) {
    res.end();
    return status;
  }
  res.writeHead(status, { ...HTML_HEADERS, 'content-length': Buffer.byteLength(html) });
  res.end(html);
  return status;
}

function layout(title: string, body: string, opts: { script?: boolean; page?: string } = {}): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard/app.css">
</head>
<body${opts.page ? ` data-page="${escapeHtml(opts.page)}"` : ''}>
<header class="top"><a class="brand" href="/">starwave</a><span id="conn" class="conn"></span><span class="grow"></span><button type="button" id="signout" class="link" hidden>Forget the token</button></header>
${body}
${opts.script ? '<script src="/dashboard/app.js"></script>\n' : ''}</body>
</html>
`;
}

const tokenForm = `<section id="login" class="card" hidden>
<h2>Sign in</h2>
<p>This server needs its API token (<code>STARWAVE_API_TOKEN</code>). It is kept in this browser tab only (session storage) and sent as the Authorization header, never in a URL or cookie.</p>
<form id="login-form" autocomplete="off"><label>API token <input id="token" type="password" autocomplete="off" spellcheck="false" required minlength="16" size="40"></label> <button type="submit">Sign in</button></form>
<p id="login-error" class="error" role="alert"></p>
</section>`;

const noscript = '<noscript><p class="error">The dashboard needs JavaScript (served by this server, no third party).</p></noscript>';

/** `/`: the list of rollouts with filters and paging. */
export function listPage(): string {
  return layout(
    'starwave rollouts',
    `<main>
${noscript}
${tokenForm}
<section id="list" class="card" hidden>
<h1>Rollouts</h1>
<form id="filters" class="row">
<label>Status <select name="status"><option value="">any</option><option>running</option><option>completed</option><option>failed</option><option>terminated</option><option>cancelled</option><option>timed_out</option></select></label>
<label>Name <input name="name" size="18" spellcheck="false" placeholder="nightly-hangzhou"></label>
<label>Region <input name="region" size="14" spellcheck="false" placeholder="cn-hangzhou"></label>
<label>Per page <select name="pageSize"><option>20</option><option selected>50</option><option>100</option></select></label>
<button type="submit">Apply</button>
</form>
<p id="list-error" class="error" role="alert"></p>
<table class="rows"><thead><tr><th>Rollout</th><th>Phase</th><th>Temporal status</th><th>Started</th><th>Closed</th><th>Task queue</th></tr></thead><tbody id="rollouts"></tbody></table>
<p class="row"><button type="button" id="first-page" disabled>First page</button><button type="button" id="next-page" disabled>Next page</button><span id="list-note" class="muted"></span></p>
</section>
</main>`,
    { script: true, page: 'list' },
  );
}

/** `/rollouts/{id}`: one rollout, live. */
export function rolloutPage(rolloutId: string): string {
  const id = escapeHtml(rolloutId);
  return layout(
    `${rolloutId} · starwave`,
    `<main>
${noscript}
${tokenForm}
<section id="rollout" data-rollout-id="${id}" hidden>
<div class="card">
<p class="muted"><a href="/">Rollouts</a> / <span id="rollout-id">${id}</span></p>
<h1><span id="name">${id}</span> <span id="phase" class="phase"></span></h1>
<p id="summary" class="summary"></p>
<p id="view-error" class="error" role="alert"></p>
</div>
<div id="banners"></div>
<div class="card" id="controls">
<h2>Control</h2>
<div class="row">
<button type="button" id="pause">Pause</button>
<button type="button" id="resume">Resume</button>
<button type="button" id="approve" hidden>Approve wave</button>
<label>Reason <input id="cancel-reason" size="24" maxlength="500" placeholder="why (kept in the report)"></label>
<button type="button" id="cancel" class="danger">Cancel rollout…</button>
</div>
<form id="limits-form" class="row">
<label>Concurrency <input name="global" size="5" placeholder="4 or 10%"></label>
<label>Per region <input name="perRegion" size="5"></label>
<label>Failure budget <input name="total" size="5"></label>
<label>Per wave <input name="perWave" size="5"></label>
<button type="submit">Set limits</button>
</form>
<form id="skip-form" class="row">
<label>Instance <input name="instanceId" size="22" spellcheck="false" placeholder="c-…"></label>
<button type="submit">Skip instance…</button>
</form>
<p id="action-result" class="result" role="status" aria-live="polite"></p>
</div>
<div class="card">
<h2>Instances <span id="grid-note" class="muted"></span></h2>
<div id="legend" class="legend"></div>
<div id="grid-wrap" class="grid-wrap"><canvas id="grid" width="10" height="10"></canvas><div id="tip" class="tip" hidden></div></div>
<div id="selected" class="selected" hidden></div>
</div>
<div class="card"><h2>Waves</h2><table class="rows"><thead><tr><th>Wave</th><th>Regions</th><th>Size</th><th>Status</th><th>Done</th><th>Restarted</th><th>Failed</th><th>Gate</th><th>Took</th></tr></thead><tbody id="waves"></tbody></table></div>
<div class="card"><h2>In flight <span id="inflight-note" class="muted"></span></h2><table class="rows"><thead><tr><th>Instance</th><th>Region</th><th>Wave</th><th>State</th><th>For</th><th>Progress</th><th>Status</th><th></th></tr></thead><tbody id="inflight"></tbody></table><div id="window-list"></div></div>
<div class="card"><h2>Problems <span id="issues-note" class="muted"></span></h2><table class="rows"><thead><tr><th>Instance</th><th>Region</th><th>Wave</th><th>Outcome</th><th>Why</th><th></th></tr></thead><tbody id="issues"></tbody></table><p id="not-started" class="muted"></p><ul id="plan-problems"></ul></div>
<div class="card"><h2>Notifications</h2><table class="rows"><thead><tr><th>#</th><th>Event</th><th>At</th><th>Delivery</th><th>Receivers</th></tr></thead><tbody id="notifications"></tbody></table></div>
<div class="card"><h2>Audit</h2><table class="rows"><thead><tr><th>At</th><th>Action</th><th>By</th><th>Detail</th></tr></thead><tbody id="audit"></tbody></table></div>
</section>
</main>`,
    { script: true, page: 'rollout' },
  );
}

// ---------------------------------------------------------------------------------------------
// Approve links (no script: they work in any browser a chat app opens)

export interface ApprovePageFacts {
  rolloutId: string;
  name?: string;
  wave: number;
  waves?: number;
  phase?: string;
  counts?: { targets: number; restarted: number; failed: number; pending: number };
  expiresAt: number;
  /** Null when the gate is open and the button is shown; else the sentence why it is not. */
  closedBecause: string | null;
}

const rolloutLink = (id: string): string => `<a href="/rollouts/${encodeURIComponent(id)}">${escapeHtml(id)}</a>`;

/** GET /approve with a valid link: what would be approved, and the button (a form POST). */
export function approveConfirmPage(f: ApprovePageFacts, token: string): string {
  const c = f.counts;
  return layout(
    `Approve wave ${f.wave} · starwave`,
    `<main><section class="card approve">
<h1>${f.closedBecause === null ? `Approve wave ${f.wave}${f.waves ? ` of ${f.waves}` : ''}` : `Wave ${f.wave} cannot be approved with this link`}</h1>
<p>Rollout <strong>${escapeHtml(f.name ?? f.rolloutId)}</strong> (${rolloutLink(f.rolloutId)})${f.phase ? `, now <span class="phase">${escapeHtml(f.phase.replace(/_/g, ' '))}</span>` : ''}.</p>
${c ? `<p>${c.restarted} of ${c.targets} restarted, ${c.failed} failed, ${c.pending} not reached yet.</p>` : ''}
${
  f.closedBecause === null
    ? `<form method="post" action="/approve"><input type="hidden" name="t" value="${escapeHtml(token)}"><button type="submit" id="approve-link-submit">Approve wave ${f.wave}</button></form>
<p class="muted">This link expires at ${escapeHtml(new Date(f.expiresAt * 1000).toISOString())}. The approval is recorded in the rollout's audit as an approve link.</p>`
    : `<p class="error" role="alert">${escapeHtml(f.closedBecause)}</p>`
}
</section></main>`,
  );
}

/** The answer to POST /approve that opened the gate. */
export function approvedPage(f: { rolloutId: string; wave: number; by: string; message: string; phase: string; counts: { targets: number; restarted: number; failed: number; pending: number } }): string {
  return layout(
    `Wave ${f.wave} approved · starwave`,
    `<main><section class="card approve">
<h1 id="approved">Wave ${f.wave} approved</h1>
<p>${escapeHtml(f.message)} Recorded as <code>${escapeHtml(f.by)}</code>.</p>
<p>Rollout ${rolloutLink(f.rolloutId)} is now <span class="phase">${escapeHtml(f.phase)}</span>: ${f.counts.restarted} of ${f.counts.targets} restarted, ${f.counts.failed} failed, ${f.counts.pending} not reached yet.</p>
</section></main>`,
  );
}

/** Any refusal on the approve pages: one sentence, and where to go instead. */
export function approveErrorPage(status: number, sentence: string, rolloutId?: string): string {
  return layout(
    'Approve link · starwave',
    `<main><section class="card approve">
<h1>Nothing was approved</h1>
<p class="error" role="alert" id="approve-error">${escapeHtml(sentence)}</p>
${rolloutId ? `<p>The rollout: ${rolloutLink(rolloutId)}.</p>` : ''}
<p class="muted">HTTP ${status}</p>
</section></main>`,
  );
}
