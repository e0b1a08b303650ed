/**
 * The dashboard's script, served as /dashboard/app.js. Plain ES2017 for the browser, no framework, no build
 * step: it is kept here as text (the package ships compiled TypeScript only), so it is written without template
 * literals. What it does:
 *
 * - the token: asked once, kept in sessionStorage (this tab only), sent as `Authorization: Bearer …` by fetch —
 *   never in a URL, a cookie or the page; a 401 asks again;
 * - the list page: GET /v1/rollouts with status/name/region filters (kept in the page's query string, which
 *   holds no secret) and Temporal's page tokens;
 * - the rollout page: the event stream GET /v1/rollouts/{id}/events read with fetch (EventSource cannot send
 *   headers), reconnecting with back-off; each view redraws only the parts that changed; the grid is one
 *   canvas (10,000 squares are 10,000 fillRect calls, not DOM nodes), with hover and click hit-tested by
 *   arithmetic; the control buttons call the API routes and show the reply's sentence and state.
 */
export const APP_JS = String.raw`(function () {
'use strict';
var TOKEN_KEY = 'starwave.token';
var byId = function (id) { return document.getElementById(id); };
var page = document.body.getAttribute('data-page');

function esc(s) {
  return String(s === undefined || s === null ? '' : s).replace(/[&<>"']/g, function (c) {
    return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
  });
}
function token() { try { return sessionStorage.getItem(TOKEN_KEY) || ''; } catch (e) { return ''; } }
function authHeaders(extra) {
  var h = extra || {};
  var t = token();
  if (t) h.authorization = 'Bearer ' + t;
  return h;
}
function setHtml(el, html) {
  if (el && el.__html !== html) { el.innerHTML = html; el.__html = html; }
}
function dur(ms) {
  if (ms === undefined || ms === null || !isFinite(ms)) return '';
  var s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return s + 's';
  var m = Math.floor(s / 60);
  if (m < 60) return m + 'm ' + String(s % 60).padStart(2, '0') + 's';
  return Math.floor(m / 60) + 'h ' + String(m % 60).padStart(2, '0') + 'm';
}
function when(ms) {
  if (!ms) return '';
  var d = new Date(ms);
  return '<time datetime="' + d.toISOString() + '" title="' + d.toISOString() + '">' + esc(d.toLocaleTimeString()) + '</time>';
}
function whenDate(iso) {
  if (!iso) return '';
  var d = new Date(iso);
  return '<time datetime="' + esc(iso) + '" title="' + esc(iso) + '">' + esc(d.toLocaleString()) + '</time>';
}

// ---- the token -------------------------------------------------------------------------------
var onSignedIn = null;
function needToken(message) {
  var login = byId('login');
  if (!login) return;
  ['list', 'rollout'].forEach(function (id) { var el = byId(id); if (el) el.hidden = true; });
  login.hidden = false;
  byId('login-error').textContent = message || '';
  byId('token').focus();
}
function setupLogin(start) {
  onSignedIn = start;
  byId('login-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var value = byId('token').value.trim();
    byId('token').value = '';
    try { sessionStorage.setItem(TOKEN_KEY, value); } catch (e) { byId('login-error').textContent = 'This browser does not allow session storage, so the token cannot be kept.'; return; }
    byId('login').hidden = true;
    byId('signout').hidden = false;
    onSignedIn();
  });
  var out = byId('signout');
  out.hidden = !token();
  out.addEventListener('click', function () {
    try { sessionStorage.removeItem(TOKEN_KEY); } catch (e) { /* nothing kept */ }
    out.hidden = true;
    needToken('The token was forgotten in this tab.');
  });
}

/** One API call; resolves with the JSON answer, rejects with the API's sentence (err.body has code/problems). */
function api(method, path, body) {
  var init = { method: method, headers: authHeaders(body !== undefined ? { 'content-type': 'application/json' } : {}), cache: 'no-store', credentials: 'omit' };
  if (body !== undefined) init.body = JSON.stringify(body);
  return fetch(path, init).then(function (res) {
    return res.text().then(function (text) {
      var json = null;
      try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
      if (res.status === 401) needToken('The server refused the token; enter it again.');
      if (!res.ok) {
        var err = new Error(json && json.error ? json.error : 'The server answered HTTP ' + res.status + '.');
        err.status = res.status;
        err.body = json;
        throw err;
      }
      return json;
    });
  }, function (e) {
    var err = new Error('starwave serve could not be reached (' + (e && e.message ? e.message : 'network error') + ').');
    err.status = 0;
    throw err;
  });
}
function sentence(err) {
  var text = err && err.message ? err.message : String(err);
  var problems = err && err.body && err.body.problems;
  if (problems && problems.length) text += ' ' + problems.map(function (p) { return p.path + ': ' + p.message; }).join('; ') + '.';
  return text;
}

// ---- the list ----------------------------------------------------------------------------------
function listPage() {
  var form = byId('filters');
  var params = new URLSearchParams(location.search);
  ['status', 'name', 'region', 'pageSize'].forEach(function (k) { if (params.get(k)) form.elements[k].value = params.get(k); });
  var tokens = [];
  var next = null;
  var timer = null;
  function query(pageToken) {
    var q = new URLSearchParams();
    ['status', 'name', 'region', 'pageSize'].forEach(function (k) { var v = form.elements[k].value.trim(); if (v) q.set(k, v); });
    if (pageToken) q.set('pageToken', pageToken);
    return q.toString();
  }
  function load() {
    clearTimeout(timer);
    var pageToken = tokens.length ? tokens[tokens.length - 1] : null;
    api('GET', '/v1/rollouts?' + query(pageToken)).then(function (page) {
      byId('list').hidden = false;
      byId('list-error').textContent = '';
      next = page.nextPageToken || null;
      setHtml(byId('rollouts'), page.rollouts.length ? page.rollouts.map(function (r) {
        var phase = r.phase || '';
        return '<tr><td><a href="/rollouts/' + encodeURIComponent(r.workflowId) + '">' + esc(r.name || r.workflowId) + '</a><div class="muted small">' + esc(r.workflowId) + '</div></td>' +
          '<td><span class="phase p-' + esc(phase) + '">' + esc(phase || '—') + '</span></td><td>' + esc(r.status) + '</td><td>' + whenDate(r.startTime) + '</td><td>' + whenDate(r.closeTime) + '</td><td>' + esc(r.taskQueue) + '</td></tr>';
      }).join('') : '<tr><td colspan="6" class="muted">No rollout matches these filters.</td></tr>');
      byId('next-page').disabled = !next;
      byId('first-page').disabled = tokens.length === 0;
      byId('list-note').textContent = tokens.length ? 'page ' + (tokens.length + 1) : '';
      if (tokens.length === 0) timer = setTimeout(load, 10000);
    }, function (err) {
      byId('list').hidden = err.status === 401;
      byId('list-error').textContent = sentence(err);
    });
  }
  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    tokens = [];
    var q = query(null);
    history.replaceState(null, '', q ? '/?' + q : '/');
    load();
  });
  byId('next-page').addEventListener('click', function () { if (next) { tokens.push(next); load(); } });
  byId('first-page').addEventListener('click', function () { tokens = []; load(); });
  setupLogin(load);
  load();
}

// ---- one rollout ------------------------------------------------------------------------------
var STATES = {
  R: ['restarted', '#2e9d58'], F: ['failed', '#d64545'], U: ['unknown (released or unconfirmed)', '#8a63d2'], S: ['skipped', '#9aa5b1'],
  D: ['deferred', '#c9a0dc'], N: ['not started', '#5b6470'], H: ['health-checking', '#e0b400'], r: ['restarting', '#2f7bd9'],
  l: ['launching', '#7fb3f0'], w: ['waiting (not running at its turn)', '#f08c2e'], o: ['waiting for its window', '#a8cde8'], p: ['pending', '#dfe3e8']
};
var LEGEND_ORDER = 'powlrHRFSDNU';
var SKIPPABLE = 'wlrHp';

function rolloutPage() {
  var section = byId('rollout');
  var id = section.getAttribute('data-rollout-id');
  var base = '/v1/rollouts/' + encodeURIComponent(id);
  var view = null;
  var skew = 0;
  var geometry = [];
  var selected = null;
  var abort = null;
  var ended = false;
  var retryMs = 1000;
  var gridKey = '';
  var ROWS_SHOWN = 25;
  var showAll = { inflight: false, issues: false };

  setHtml(byId('legend'), LEGEND_ORDER.split('').map(function (c) {
    return '<span><i class="sq c-' + c + '"></i>' + esc(STATES[c][0]) + '</span>';
  }).join('') + '<span><i class="sq c-p down"></i>down (holds a slot)</span>');

  function conn(text, cls) { var el = byId('conn'); el.textContent = text; el.className = 'conn ' + (cls || ''); }

  // The event stream, read with fetch so the token goes in a header.
  function connect() {
    if (ended) return;
    if (abort) abort.abort();
    abort = new AbortController();
    conn('connecting…', 'wait');
    fetch(base + '/events', { headers: authHeaders({ accept: 'text/event-stream' }), cache: 'no-store', credentials: 'omit', signal: abort.signal }).then(function (res) {
      if (!res.ok) {
        return res.text().then(function (text) {
          var json = null;
          try { json = JSON.parse(text); } catch (e) { json = null; }
          var msg = json && json.error ? json.error : 'The server answered HTTP ' + res.status + '.';
          if (res.status === 401) { conn('', ''); needToken('The server refused the token; enter it again.'); return; }
          byId('view-error').textContent = msg;
          section.hidden = false;
          if (res.status === 404 || res.status === 400) { conn('', ''); return; }
          retry();
        });
      }
      section.hidden = false;
      byId('login').hidden = true;
      byId('signout').hidden = !token();
      conn('live', 'ok');
      retryMs = 1000;
      var reader = res.body.getReader();
      var decoder = new TextDecoder();
      var buffer = '';
      function pump() {
        return reader.read().then(function (r) {
          if (r.done) { if (!ended) retry(); return; }
          buffer += decoder.decode(r.value, { stream: true }).replace(/\r\n/g, '\n');
          var at;
          while ((at = buffer.indexOf('\n\n')) >= 0) {
            var block = buffer.slice(0, at);
            buffer = buffer.slice(at + 2);
            dispatch(block);
          }
          return pump();
        });
      }
      return pump();
    }).catch(function (e) {
      if (e && e.name === 'AbortError') return;
      retry();
    });
  }
  function retry() {
    if (ended) return;
    conn('reconnecting…', 'wait');
    setTimeout(connect, retryMs);
    retryMs = Math.min(10000, retryMs * 2);
  }
  function dispatch(block) {
    var event = 'message';
    var data = '';
    block.split('\n').forEach(function (line) {
      if (line.indexOf('event:') === 0) event = line.slice(6).trim();
      else if (line.indexOf('data:') === 0) data += line.slice(5).replace(/^ /, '');
    });
    if (!data) return;
    var payload;
    try { payload = JSON.parse(data); } catch (e) { return; }
    if (event === 'view') { byId('view-error').textContent = ''; render(payload); }
    else if (event === 'problem') { conn('live, but: ' + payload.error, 'warn'); }
    else if (event === 'end') { ended = true; conn('finished', 'done'); }
  }

  function phaseBadge(phase) { return '<span class="phase p-' + esc(phase) + '">' + esc(phase.replace(/_/g, ' ')) + '</span>'; }

  function render(v) {
    view = v;
    skew = Date.now() - v.atMs;
    var p = v.progress;
    if (v.progress) document.title = p.name + ' · ' + p.phase + ' · starwave';
    byId('name').textContent = p ? p.name : v.rolloutId;
    setHtml(byId('phase'), p ? phaseBadge(p.phase) : phaseBadge(v.executionStatus.toLowerCase()));
    setHtml(byId('summary'), summary(v));
    setHtml(byId('banners'), banners(v));
    controls(v);
    var key = JSON.stringify(v.grid);
    if (key !== gridKey) { gridKey = key; drawGrid(); }
    if (!p) return;
    setHtml(byId('waves'), p.waves.map(function (w) {
      var took = w.startedAtMs ? dur((w.finishedAtMs || (Date.now() - skew)) - w.startedAtMs) : '';
      return '<tr class="' + (w.number === p.currentWave ? 'current' : '') + '"><td>' + w.number + '</td><td>' + esc(w.regions.join(', ')) + '</td><td>' + w.size + '</td><td>' + esc(w.status.replace(/_/g, ' ')) +
        '</td><td>' + w.done + '</td><td>' + w.restarted + '</td><td>' + (w.failed ? '<b class="bad">' + w.failed + '</b>' : '0') + '</td><td>' + (w.approvalRequired ? (w.approvedBy ? 'approved by ' + esc(w.approvedBy) : 'gate') : '') + '</td><td>' + took + '</td></tr>';
    }).join(''));
    setHtml(byId('inflight'), p.inFlight.length ? shown(p.inFlight, 'inflight', 8).map(function (f) {
      var prog = f.progress !== undefined ? f.progress + '%' + (f.step ? ' · ' + esc(f.step) : '') : (f.step ? esc(f.step) : '');
      return '<tr><td><code>' + esc(f.instanceId) + '</code>' + (f.instanceName ? ' <span class="muted">' + esc(f.instanceName) + '</span>' : '') + '</td><td>' + esc(f.region) + '</td><td>' + f.wave + '</td><td>' + esc(f.state) + (f.waitCause ? ' (' + esc(f.waitCause) + ')' : '') +
        '</td><td data-since="' + f.sinceMs + '">' + dur(Date.now() - skew - f.sinceMs) + '</td><td>' + prog + (f.expectedMs ? ' <span class="muted">of ~' + dur(f.expectedMs) + '</span>' : '') + '</td><td>' + esc(f.status || '') +
        '</td><td><button type="button" class="skip" data-skip="' + esc(f.instanceId) + '">Skip…</button></td></tr>';
    }).join('') + more(p.inFlight, 'inflight', 8) : '<tr><td colspan="8" class="muted">Nothing in flight.</td></tr>');
    byId('inflight-note').textContent = p.inFlightOmitted ? '(' + p.inFlightOmitted + ' more not listed)' : '';
    var win = p.awaitingWindow || [];
    setHtml(byId('window-list'), win.length ? '<p class="muted">Waiting for their maintenance window: ' + win.slice(0, 30).map(function (a) {
      return '<code>' + esc(a.instanceId) + '</code>' + (a.opensAtMs ? ' (opens ' + when(a.opensAtMs) + ')' : '');
    }).join(', ') + (win.length > 30 ? ' and ' + (win.length - 30) + ' more' : '') + '</p>' : '');
    setHtml(byId('issues'), v.issues.length ? shown(v.issues, 'issues', 6).map(function (r) {
      var down = r.stillDown ? ' <span class="tag">still down</span>' : '';
      var canSkip = r.stillDown && !r.releasedBy;
      return '<tr><td><code>' + esc(r.instanceId) + '</code></td><td>' + esc(r.region) + '</td><td>' + r.wave + '</td><td class="o-' + esc(r.outcome) + '">' + esc(r.outcome.replace(/_/g, ' ')) + (r.failure ? ' (' + esc(r.failure.replace(/_/g, ' ')) + ')' : '') + down +
        '</td><td>' + esc(r.detail || '') + (r.apiCode ? ' <span class="muted">[' + esc(r.apiCode) + (r.requestId ? ' ' + esc(r.requestId) : '') + ']</span>' : '') + '</td><td>' + (canSkip ? '<button type="button" class="skip" data-skip="' + esc(r.instanceId) + '">Skip…</button>' : '') + '</td></tr>';
    }).join('') + more(v.issues, 'issues', 6) : '<tr><td colspan="6" class="muted">No problem so far.</td></tr>');
    byId('issues-note').textContent = v.issuesOmitted ? '(' + v.issuesOmitted + ' more not listed)' : '';
    var ns = Object.keys(v.notStarted).map(function (k) { return v.notStarted[k] + ' ' + k; });
    byId('not-started').textContent = ns.length ? 'Not started: ' + ns.join(', ') + '.' : '';
    setHtml(byId('plan-problems'), (p.problems || []).map(function (pr) { return '<li>' + esc(pr.message || JSON.stringify(pr)) + '</li>'; }).join(''));
    var notes = p.notifications || [];
    setHtml(byId('notifications'), notes.length ? notes.slice().reverse().map(function (n) {
      var receivers = (n.receivers || []).map(function (r) {
        return esc(r.name) + ': ' + (r.delivered ? 'delivered' : 'not delivered') + ' after ' + r.attempts + ' attempt' + (r.attempts === 1 ? '' : 's') + (r.error ? ' (' + esc(r.error) + ')' : '');
      }).join('<br>');
      return '<tr><td>' + n.seq + '</td><td>' + esc(n.event.replace(/_/g, ' ')) + '</td><td>' + when(n.atMs) + '</td><td class="d-' + esc(n.state) + '">' + esc(n.state) + (n.error ? ': ' + esc(n.error) : '') + '</td><td>' + (receivers || '<span class="muted">none configured</span>') + '</td></tr>';
    }).join('') : '<tr><td colspan="5" class="muted">No notification sent.</td></tr>');
    setHtml(byId('audit'), p.audit.slice().reverse().map(function (a) {
      return '<tr><td>' + when(a.atMs) + '</td><td>' + esc(a.action) + '</td><td>' + esc(a.by || '') + '</td><td>' + esc(a.detail || '') + '</td></tr>';
    }).join(''));
  }

  // Long tables show their first rows; the rest on demand (the lists are bounded by the server anyway).
  function shown(list, key) { return showAll[key] ? list : list.slice(0, ROWS_SHOWN); }
  function more(list, key, cols) {
    if (list.length <= ROWS_SHOWN) return '';
    return '<tr><td colspan="' + cols + '"><button type="button" class="link-dark" data-more="' + key + '">' + (showAll[key] ? 'Show the first ' + ROWS_SHOWN + ' only' : 'Show all ' + list.length) + '</button></td></tr>';
  }

  function summary(v) {
    var p = v.progress;
    if (!p) return esc(v.executionStatus) + (v.failure ? ': ' + esc(v.failure) : '');
    var c = p.counts;
    var parts = ['<b>' + c.restarted + '</b> of ' + c.targets + ' restarted', (c.failed ? '<b class="bad">' + c.failed + '</b>' : '0') + ' failed (budget ' + p.failureBudget + ')', c.inFlight + ' in flight', c.down + ' down', c.pending + ' pending'];
    if (c.waiting) parts.push(c.waiting + ' waiting');
    if (c.skipped) parts.push(c.skipped + ' skipped');
    if (c.deferred) parts.push(c.deferred + ' deferred');
    if (c.notStarted) parts.push(c.notStarted + ' not started');
    if (c.unknown) parts.push(c.unknown + ' unknown');
    if (p.currentWave) parts.push('wave ' + p.currentWave + ' of ' + p.waves.length);
    if (p.eta) parts.push('<span id="eta">ETA ' + dur(p.eta.p50Ms) + ' (p90 ' + dur(p.eta.p90Ms) + ')</span>');
    var lim = p.waveLimits ? 'limits ' + p.waveLimits.global + ' at once' : 'concurrency ' + p.limits.concurrency.global;
    parts.push(lim);
    return parts.join(' · ') + '<br><span class="muted">started ' + when(p.startedAtMs) + (p.trigger ? ' by ' + esc(p.trigger) : '') + (p.notAfterMs ? ' · cutoff ' + when(p.notAfterMs) : '') + (p.finishedAtMs ? ' · finished ' + when(p.finishedAtMs) : '') + '</span>';
  }

  function banners(v) {
    var p = v.progress;
    var out = [];
    if (v.failure) out.push('<div class="banner bad">The rollout workflow failed: ' + esc(v.failure) + '</div>');
    if (!p) return out.join('');
    if (p.stopSentence) out.push('<div class="banner bad" id="stop">' + esc(p.stopSentence) + '</div>');
    if (p.phase === 'awaiting_approval' && p.currentWave) out.push('<div class="banner gate" id="gate">Wave ' + p.currentWave + ' waits for an approval.</div>');
    if (p.paused && !v.final) out.push('<div class="banner warn" id="paused-banner">Paused: no new restarts start; restarts in flight finish.</div>');
    if (p.cancelRequested && !v.final) out.push('<div class="banner warn">Cancelling' + (p.cancelReason ? ': ' + esc(p.cancelReason) : '') + '.</div>');
    var b = p.blocked;
    if (b) {
      out.push('<div class="banner bad" id="blocked"><b>Blocked since ' + when(b.sinceMs) + '</b>: down instances hold every slot. Unless one frees (or is skipped), the rollout stops at ' + when(b.stopsAtMs) + ' (in ' + dur(b.stopsAtMs - (Date.now() - skew)) + ').<ul>' +
        b.holders.map(function (h) {
          return '<li><code>' + esc(h.instanceId) + '</code> ' + esc(h.region) + ' — ' + esc(h.reason) + (h.status ? ' (' + esc(h.status) + ')' : '') + (h.sinceMs ? ', since ' + when(h.sinceMs) : '') + ' <button type="button" class="skip" data-skip="' + esc(h.instanceId) + '">Skip…</button></li>';
        }).join('') + '</ul></div>');
    }
    return out.join('');
  }

  function gateWave(v) {
    var p = v.progress;
    if (!p || v.final) return null;
    var w = p.waves.filter(function (x) { return x.status === 'awaiting_approval'; })[0];
    return w ? w.number : null;
  }

  function controls(v) {
    var p = v.progress;
    var live = !v.final && !!p;
    ['pause', 'resume', 'cancel'].forEach(function (b) { byId(b).disabled = !live; });
    if (p) {
      byId('pause').hidden = p.paused;
      byId('resume').hidden = !p.paused;
      var f = byId('limits-form').elements;
      f.global.placeholder = String(p.limits.concurrency.global);
      f.perRegion.placeholder = p.limits.concurrency.perRegion !== undefined ? String(p.limits.concurrency.perRegion) : '—';
      f.total.placeholder = String(p.limits.failureBudget.total);
      f.perWave.placeholder = p.limits.failureBudget.perWave !== undefined ? String(p.limits.failureBudget.perWave) : '—';
    }
    var gate = gateWave(v);
    var approve = byId('approve');
    approve.hidden = gate === null;
    if (gate !== null) { approve.textContent = 'Approve wave ' + gate; approve.setAttribute('data-wave', String(gate)); }
    byId('controls').className = 'card' + (live ? '' : ' inert');
  }

  // ---- actions: every one goes through the API (validated by the workflow) ----
  function act(button, label, method, path, body) {
    var out = byId('action-result');
    out.className = 'result wait';
    out.textContent = label + '…';
    if (button) button.disabled = true;
    return api(method, base + path, body).then(function (ack) {
      var c = ack.counts;
      out.className = 'result ok';
      out.textContent = ack.message + ' Now ' + ack.phase.replace(/_/g, ' ') + (ack.paused ? ' (paused)' : '') + (ack.cancelRequested ? ' (cancelling)' : '') + ': ' + c.restarted + ' of ' + c.targets + ' restarted, ' + c.failed + ' failed, ' + c.inFlight + ' in flight, ' + c.pending + ' pending.';
      out.setAttribute('data-phase', ack.phase);
    }, function (err) {
      out.className = 'result error';
      out.textContent = sentence(err);
      out.removeAttribute('data-phase');
    }).then(function () { if (button) button.disabled = !!(view && view.final); });
  }
  byId('pause').addEventListener('click', function (ev) { act(ev.target, 'Pausing', 'POST', '/pause'); });
  byId('resume').addEventListener('click', function (ev) { act(ev.target, 'Resuming', 'POST', '/resume'); });
  byId('approve').addEventListener('click', function (ev) {
    var wave = Number(ev.target.getAttribute('data-wave'));
    act(ev.target, 'Approving wave ' + wave, 'POST', '/approve', { wave: wave });
  });
  byId('cancel').addEventListener('click', function (ev) {
    var reason = byId('cancel-reason').value.trim();
    if (!confirm('Cancel ' + id + '? Restarts in flight finish; nothing new starts.')) return;
    act(ev.target, 'Cancelling', 'POST', '/cancel', reason ? { reason: reason } : {});
  });
  function size(text) { return /^\d+$/.test(text) ? Number(text) : text; }
  byId('limits-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var f = ev.target.elements;
    var patch = {};
    var conc = {};
    var budget = {};
    if (f.global.value.trim()) conc.global = size(f.global.value.trim());
    if (f.perRegion.value.trim()) conc.perRegion = size(f.perRegion.value.trim());
    if (f.total.value.trim()) budget.total = size(f.total.value.trim());
    if (f.perWave.value.trim()) budget.perWave = size(f.perWave.value.trim());
    if (Object.keys(conc).length) patch.concurrency = conc;
    if (Object.keys(budget).length) patch.failureBudget = budget;
    act(ev.submitter || null, 'Changing the limits', 'PATCH', '/limits', patch).then(function () {
      if (byId('action-result').className.indexOf('ok') >= 0) ev.target.reset();
    });
  });
  function skip(instanceId, button) {
    if (!confirm('Skip ' + instanceId + '? It stops holding a slot or waiting for its turn, and is reported as released by you.')) return;
    act(button, 'Skipping ' + instanceId, 'POST', '/skip', { instanceId: instanceId });
  }
  byId('skip-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    skip(ev.target.elements.instanceId.value.trim(), ev.submitter || null);
  });
  section.addEventListener('click', function (ev) {
    var b = ev.target.closest ? ev.target.closest('button[data-skip]') : null;
    if (b) skip(b.getAttribute('data-skip'), b);
    var m = ev.target.closest ? ev.target.closest('button[data-more]') : null;
    if (m) { var key = m.getAttribute('data-more'); showAll[key] = !showAll[key]; if (view) render(view); }
  });

  // ---- the grid: one canvas ----
  var canvas = byId('grid');
  var ctx = canvas.getContext('2d');
  var LABEL_W = 128;
  var HEAD_H = 20;
  function drawGrid() {
    var g = view ? view.grid : null;
    geometry = [];
    var wrap = byId('grid-wrap');
    var width = Math.max(320, wrap.clientWidth);
    if (!g || !g.rows.length) {
      canvas.width = width; canvas.height = 30; canvas.style.width = width + 'px'; canvas.style.height = '30px';
      ctx.clearRect(0, 0, width, 30);
      ctx.fillStyle = '#5b6470'; ctx.font = '13px system-ui, sans-serif';
      ctx.fillText(view && view.progress ? 'The waves are not planned yet.' : 'No instances to show.', 4, 18);
      return;
    }
    var total = 0;
    var hasNull = false;
    g.rows.forEach(function (r) { r.cells.forEach(function (c) { total += c.states.length; if (c.region === null) hasNull = true; }); });
    var sq = total <= 400 ? 14 : total <= 2500 ? 10 : total <= 6000 ? 7 : 5;
    var gap = sq >= 10 ? 2 : 1;
    var step = sq + gap;
    var columns = g.regions.slice();
    if (hasNull) columns.push(null);
    var colW = Math.max(step * 4, Math.floor((width - LABEL_W) / columns.length) - 10);
    var perLine = Math.max(1, Math.floor((colW + gap) / step));
    var y = HEAD_H;
    var rows = g.rows.map(function (r) {
      var h = 30;
      r.cells.forEach(function (c) { h = Math.max(h, Math.ceil(c.states.length / perLine) * step); });
      var row = { row: r, y: y, h: h };
      y += h + 6;
      return row;
    });
    var height = y;
    var dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    canvas.style.width = width + 'px';
    canvas.style.height = height + 'px';
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.font = '12px system-ui, sans-serif';
    ctx.textBaseline = 'top';
    ctx.fillStyle = '#3d4550';
    columns.forEach(function (region, i) { ctx.fillText(region === null ? 'region not known yet' : region, LABEL_W + i * (colW + 10), 2); });
    var current = view.progress ? view.progress.currentWave : undefined;
    rows.forEach(function (rr) {
      var r = rr.row;
      ctx.fillStyle = r.wave === current ? '#111' : '#3d4550';
      ctx.font = (r.wave === current ? 'bold ' : '') + '12px system-ui, sans-serif';
      ctx.fillText('wave ' + r.wave + ' · ' + r.size, 0, rr.y);
      ctx.font = '11px system-ui, sans-serif';
      ctx.fillStyle = '#6b7480';
      ctx.fillText(r.status.replace(/_/g, ' '), 0, rr.y + 14);
      r.cells.forEach(function (c) {
        var col = columns.indexOf(c.region);
        var x0 = LABEL_W + col * (colW + 10);
        var states = c.states;
        var last = '';
        for (var i = 0; i < states.length; i++) {
          var ch = states.charAt(i);
          if (ch !== last) { ctx.fillStyle = (STATES[ch] || STATES.p)[1]; last = ch; }
          ctx.fillRect(x0 + (i % perLine) * step, rr.y + Math.floor(i / perLine) * step, sq, sq);
        }
        if (c.down.length) {
          ctx.fillStyle = '#1b1f24';
          var d = Math.max(2, Math.floor(sq / 3));
          c.down.forEach(function (i) { ctx.fillRect(x0 + (i % perLine) * step + (sq - d) / 2, rr.y + Math.floor(i / perLine) * step + (sq - d) / 2, d, d); });
          last = '';
        }
        geometry.push({ x: x0, y: rr.y, perLine: perLine, step: step, sq: sq, cell: c, row: r });
      });
    });
    canvas.setAttribute('data-squares', String(total));
  }
  function hit(ev) {
    var rect = canvas.getBoundingClientRect();
    var x = ev.clientX - rect.left;
    var y = ev.clientY - rect.top;
    for (var k = 0; k < geometry.length; k++) {
      var gm = geometry[k];
      if (x < gm.x || y < gm.y) continue;
      var col = Math.floor((x - gm.x) / gm.step);
      var line = Math.floor((y - gm.y) / gm.step);
      if (col >= gm.perLine) continue;
      var i = line * gm.perLine + col;
      if (i < gm.cell.states.length && (x - gm.x) % gm.step < gm.sq && (y - gm.y) % gm.step < gm.sq) return { g: gm, i: i };
    }
    return null;
  }
  function describe(h) {
    var c = h.g.cell;
    var ch = c.states.charAt(h.i);
    var iid = c.ids[h.i];
    var down = c.down.indexOf(h.i) >= 0;
    return { id: iid, state: ch, region: c.region, wave: h.g.row.wave, down: down };
  }
  canvas.addEventListener('mousemove', function (ev) {
    var h = hit(ev);
    var tip = byId('tip');
    if (!h) { tip.hidden = true; canvas.style.cursor = ''; return; }
    var d = describe(h);
    canvas.style.cursor = 'pointer';
    tip.hidden = false;
    tip.textContent = (d.id || '(counted, not listed)') + ' · ' + STATES[d.state][0] + (d.down ? ' · down' : '') + ' · wave ' + d.wave + (d.region ? ' · ' + d.region : '');
    tip.style.left = Math.min(ev.offsetX + 12, canvas.clientWidth - 260) + 'px';
    tip.style.top = ev.offsetY + 14 + 'px';
  });
  canvas.addEventListener('mouseleave', function () { byId('tip').hidden = true; });
  canvas.addEventListener('click', function (ev) {
    var h = hit(ev);
    var box = byId('selected');
    if (!h) { box.hidden = true; selected = null; return; }
    var d = describe(h);
    selected = d;
    var issue = view.issues.filter(function (r) { return r.instanceId === d.id; })[0];
    var flying = view.progress ? view.progress.inFlight.filter(function (f) { return f.instanceId === d.id; })[0] : null;
    var canSkip = d.id && (SKIPPABLE.indexOf(d.state) >= 0 || d.down) && !(view && view.final);
    box.hidden = false;
    setHtml(box, '<b>' + esc(d.id || 'An instance counted, not listed') + '</b> · ' + esc(STATES[d.state][0]) + (d.down ? ' · down' : '') + ' · wave ' + d.wave + (d.region ? ' · ' + esc(d.region) : '') +
      (flying ? ' · for ' + dur(Date.now() - skew - flying.sinceMs) + (flying.progress !== undefined ? ' · ' + flying.progress + '%' : '') + (flying.step ? ' · ' + esc(flying.step) : '') : '') +
      (issue && issue.detail ? '<br>' + esc(issue.detail) : '') + (!d.id ? '<br><span class="muted">' + (view.grid.listed === 'problems' ? 'Above 2,000 targets clean restarts are counted per wave, not listed.' : 'Not reached yet: the progress lists targets once the rollout reaches them.') + '</span>' : '') +
      (canSkip ? ' <button type="button" class="skip" data-skip="' + esc(d.id) + '">Skip…</button>' : ''));
  });
  var resizeTimer = null;
  window.addEventListener('resize', function () { clearTimeout(resizeTimer); resizeTimer = setTimeout(drawGrid, 150); });

  // Durations tick between views.
  setInterval(function () {
    var cells = document.querySelectorAll('[data-since]');
    for (var i = 0; i < cells.length; i++) cells[i].textContent = dur(Date.now() - skew - Number(cells[i].getAttribute('data-since')));
  }, 1000);

  setupLogin(connect);
  connect();
}

if (page === 'list') listPage();
else if (page === 'rollout') rolloutPage();
})();
`;
