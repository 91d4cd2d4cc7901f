// The operator dashboard: calls and traces, per-operation latency,
// feedback on calls, evaluation runs and memory totals.
import { api, ApiError, ADMIN_TOKEN, el, $, getToken, setToken, notify, busy, listFrom, when } from './api.js';

const ui = {
  notice: $('#notice'), tokenForm: $('#token-form'), panels: $('#panels'), totals: $('#totals'),
  since: $('#ops-since'), ops: $('#ops'), chart: $('#p95-chart'), filters: $('#filters'), calls: $('#calls'),
  trace: $('#trace'), traceTitle: $('#trace-title'), tree: $('#trace-tree'), evals: $('#evals'), evalDetail: $('#eval-detail'),
};

// op calls the API with the operator token.
function op(method, path, body) {
  return api(method, path, body, ADMIN_TOKEN);
}

function problem(err) {
  if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
    notify(ui.notice, `${err.message} Check the operator token above.`, 'gentle');
    return;
  }
  notify(ui.notice, err.message || String(err), 'gentle');
}

// --- durations: the API gives Go durations in ns (x_ns), or ms (x_ms) ---

function millis(o, base) {
  if (!o) return null;
  if (typeof o[`${base}_ms`] === 'number') return o[`${base}_ms`];
  if (typeof o[`${base}_ns`] === 'number') return o[`${base}_ns`] / 1e6;
  if (typeof o[base] === 'number') return o[base] / 1e6;
  return null;
}

function fmtMs(x) {
  if (x === null || x === undefined) return '–';
  if (x < 1) return `${Math.round(x * 1000)} µs`;
  if (x < 1000) return `${x < 10 ? x.toFixed(1) : Math.round(x)} ms`;
  return `${(x / 1000).toFixed(2)} s`;
}

function fmtRate(o) {
  let r = o.error_rate;
  if (typeof r !== 'number' && typeof o.errors === 'number' && o.count) r = o.errors / o.count;
  return typeof r === 'number' ? `${(r * 100).toFixed(1)}%` : '–';
}

// --- the token ---

ui.tokenForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const t = ui.tokenForm.elements.token.value.trim();
  if (!t) {
    notify(ui.notice, 'Paste the operator token first.', 'gentle');
    return;
  }
  setToken(t, ADMIN_TOKEN);
  ui.tokenForm.elements.token.value = '';
  start();
});

$('#token-clear').addEventListener('click', () => {
  setToken('', ADMIN_TOKEN);
  ui.panels.hidden = true;
  notify(ui.notice, 'The token is forgotten in this tab.', 'info');
});

// --- totals ---

async function loadTotals() {
  const data = await op('GET', '/api/stats');
  const t = (data && (data.memory || data.totals)) || data || {};
  const cells = Object.entries(t).filter(([, v]) => typeof v === 'number')
    .map(([k, v]) => el('div', { class: 'stat' }, el('b', { text: v }), el('span', { text: k.replaceAll('_', ' ') })));
  ui.totals.replaceChildren(...(cells.length ? cells : [el('p', { class: 'muted', text: 'No totals yet.' })]));
}

// --- operations ---

async function loadOps() {
  const q = new URLSearchParams({ since: ui.since.value });
  const rows = listFrom(await op('GET', `/api/ops?${q}`), 'ops', 'stats');
  ui.ops.replaceChildren(...rows.map((o) => el('tr', {},
    el('td', {}, el('code', { text: o.op || o.name || '' })),
    el('td', { class: 'num', text: o.count ?? '' }),
    el('td', { class: 'num', text: fmtRate(o) }),
    el('td', { class: 'num', text: fmtMs(millis(o, 'p50')) }),
    el('td', { class: 'num', text: fmtMs(millis(o, 'p95')) }),
    el('td', { class: 'num', text: fmtMs(millis(o, 'p99')) }))));
  if (!rows.length) ui.ops.append(el('tr', {}, el('td', { colspan: 6, class: 'muted', text: 'No calls in this window.' })));
  drawChart(rows);
}

ui.since.addEventListener('change', () => loadOps().catch(problem));

// drawChart draws one horizontal bar per operation, longest p95 first. The
// <svg> comes from the page, so its namespace is taken from it.
function drawChart(rows) {
  const svg = ui.chart;
  const ns = svg.namespaceURI;
  const data = rows.map((o) => ({ name: o.op || o.name || '?', v: millis(o, 'p95') || 0 }))
    .sort((a, b) => b.v - a.v).slice(0, 15);
  const W = 640, LABEL = 220, VALUE = 80, ROW = 26;
  const max = Math.max(...data.map((d) => d.v), 1e-9);
  const H = Math.max(ROW, data.length * ROW);
  svg.replaceChildren();
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  const node = (tag, attrs, text) => {
    const n = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
    if (text !== undefined) n.textContent = text;
    return n;
  };
  if (!data.length) {
    svg.append(node('text', { x: 0, y: 18 }, 'No calls in this window.'));
    return;
  }
  data.forEach((d, i) => {
    const y = i * ROW;
    const w = Math.max(1, ((W - LABEL - VALUE) * d.v) / max);
    const label = d.name.length > 30 ? `${d.name.slice(0, 29)}…` : d.name;
    svg.append(node('text', { x: 0, y: y + 17 }, label),
      node('rect', { class: 'bar-p95', x: LABEL, y: y + 5, width: w.toFixed(1), height: ROW - 10, rx: 3 }),
      node('text', { x: LABEL + w + 6, y: y + 17 }, fmtMs(d.v)));
  });
}

// --- calls ---

function filterQuery() {
  const f = ui.filters;
  const q = new URLSearchParams({ limit: '50' });
  for (const k of ['op', 'status', 'since']) {
    const v = f.elements[k].value.trim();
    if (v) q.set(k, v);
  }
  const attr = f.elements.attr.value.trim();
  if (attr) {
    const [key, ...rest] = attr.split('=');
    if (key && rest.length) q.set(`attr.${key.trim()}`, rest.join('=').trim());
    else notify(ui.notice, 'Write the attribute filter as key=value.', 'gentle');
  }
  return q;
}

async function loadCalls() {
  const data = await op('GET', `/api/traces?${filterQuery()}`);
  const calls = listFrom(data, 'calls', 'traces');
  ui.calls.replaceChildren(...calls.map(callRow));
  if (!calls.length) ui.calls.append(el('tr', {}, el('td', { colspan: 5, class: 'muted', text: 'No calls match.' })));
}

function callRow(c) {
  const status = c.status || '';
  return el('tr', {},
    el('td', {}, el('time', { datetime: c.start || '', text: when(c.start || c.created_at) })),
    el('td', {}, el('code', { text: c.op || c.name || '' })),
    el('td', { class: status === 'error' ? 'status-error' : '', text: status }),
    el('td', { class: 'num', text: fmtMs(millis(c, 'latency')) }),
    el('td', {}, c.trace_id ? el('button', {
      type: 'button', class: 'quiet small', 'aria-label': `Open trace of ${c.op || c.name || 'call'}`,
      onclick: (e) => busy(e.currentTarget, () => openTrace(c.trace_id).catch(problem)),
    }, 'Open') : null));
}

ui.filters.addEventListener('submit', (e) => {
  e.preventDefault();
  notify(ui.notice, '');
  busy(ui.filters.querySelector('[type=submit]'), () => loadCalls().catch(problem));
});

// --- a trace ---

async function openTrace(traceId) {
  const data = await op('GET', `/api/traces/${encodeURIComponent(traceId)}`);
  ui.traceTitle.textContent = `Trace ${traceId}`;
  const top = roots(data);
  ui.tree.replaceChildren(top.length ? el('ul', { class: 'tree' }, top.map(callNode))
    : el('p', { class: 'muted', text: 'This trace has no calls (it may have expired).' }));
  ui.trace.hidden = false;
  ui.trace.focus();
}

// roots accepts a nested tree (calls with children) or a flat list of calls
// with parent_id, and returns the top-level calls with children filled in.
function roots(data) {
  if (data && data.root) return [data.root];
  const calls = listFrom(data, 'calls', 'spans');
  if (calls.some((c) => Array.isArray(c.children))) return calls;
  const byId = new Map(calls.map((c) => [c.call_id, { ...c, children: [] }]));
  const top = [];
  for (const c of byId.values()) {
    const parent = c.parent_id && byId.get(c.parent_id);
    if (parent) parent.children.push(c);
    else top.push(c);
  }
  return top;
}

function callNode(c) {
  const name = c.name || c.op || 'call';
  const kids = Array.isArray(c.children) ? c.children : [];
  return el('li', {},
    el('div', { class: 'call-head' },
      el('code', { text: name }),
      c.kind ? el('span', { class: 'muted small', text: c.kind }) : null,
      el('span', { class: c.status === 'error' ? 'status-error' : 'muted', text: c.status || '' }),
      el('span', { class: 'score', text: fmtMs(millis(c, 'latency')) }),
      c.call_id ? feedbackButtons(c) : null),
    c.error ? el('p', { class: 'status-error small', text: c.error }) : null,
    details(c),
    kids.length ? el('ul', { class: 'tree' }, kids.map(callNode)) : null);
}

function details(c) {
  const parts = [];
  for (const [label, v] of [['Inputs', c.inputs], ['Output', c.output], ['Attributes', c.attributes], ['Feedback', c.feedback]]) {
    if (v === undefined || v === null || v === '' || (typeof v === 'object' && !Object.keys(v).length)) continue;
    parts.push(el('h4', { text: label }), el('pre', { text: typeof v === 'string' ? v : JSON.stringify(v, null, 2) }));
  }
  return parts.length ? el('details', {}, el('summary', { text: 'Details' }), ...parts) : null;
}

function feedbackButtons(c) {
  const send = (reaction, button) => busy(button, async () => {
    try {
      await op('POST', `/api/calls/${encodeURIComponent(c.call_id)}/feedback`, { reaction });
      button.setAttribute('aria-pressed', 'true');
      notify(ui.notice, `Feedback ${reaction} noted on ${c.op || c.name || 'the call'}.`, 'ok');
    } catch (err) {
      problem(err);
    }
  });
  const b = (reaction, label) => el('button', {
    type: 'button', class: 'quiet small', 'aria-label': label, 'aria-pressed': 'false',
    onclick: (e) => send(reaction, e.currentTarget),
  }, reaction);
  return el('span', { class: 'feedback' }, b('👍', 'Good call'), b('👎', 'Bad call'));
}

$('#trace-close').addEventListener('click', () => {
  ui.trace.hidden = true;
});

// --- evaluations ---

async function loadEvals() {
  const runs = listFrom(await op('GET', '/api/evaluations'), 'evaluations', 'runs');
  ui.evals.replaceChildren(...runs.map((r) => el('li', { class: 'item' },
    el('div', { class: 'call-head' },
      el('strong', { text: r.name || r.id || 'run' }),
      el('span', { class: 'muted small', text: when(r.finished || r.created_at) }),
      el('span', { class: 'muted small', text: `${rowCount(r)} rows` }),
      el('button', { type: 'button', class: 'quiet small', onclick: () => showRun(r) }, 'Summary')))));
  if (!runs.length) ui.evals.append(el('li', { class: 'muted', text: 'No evaluation runs yet.' }));
}

$('#eval-run').addEventListener('click', (e) => {
  busy(e.currentTarget, async () => {
    notify(ui.notice, 'Running an evaluation; this can take a little while.', 'info');
    try {
      const r = await op('POST', '/api/evaluations', {});
      notify(ui.notice, 'The evaluation finished.', 'ok');
      showRun(r);
      await loadEvals();
    } catch (err) {
      problem(err);
    }
  });
});

// showRun renders a run's summary. A listing's summary is the run without
// its rows; a run itself carries its summary directly.
function showRun(r) {
  const run = r && r.run ? r.run : r;
  const head = run && run.summary && run.summary.summary ? run.summary : run;
  const s = (head && head.summary) || {};
  const scorers = s.scorers && typeof s.scorers === 'object' ? Object.entries(s.scorers) : [];
  ui.evalDetail.replaceChildren(el('h3', { text: `Run ${head.name || head.id || ''}` }),
    el('div', { class: 'meta' },
      el('span', { text: `${rowCount(run)} rows` }),
      el('span', { text: `${s.model_errors ?? 0} model errors` }),
      el('span', { text: `mean latency ${fmtMs(millis(s, 'mean_latency'))}` })),
    scorers.length ? el('div', { class: 'table-wrap' }, el('table', {},
      el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'Scorer' }), el('th', { scope: 'col', text: 'Result' }))),
      el('tbody', {}, scorers.map(([name, res]) => el('tr', {},
        el('td', {}, el('code', { text: name })),
        el('td', { text: resultText(res) })))))) : el('pre', { text: JSON.stringify(s, null, 2) }));
}

// rowCount reads a run's size: its summary counts the rows, which a
// listing leaves out.
function rowCount(r) {
  const s = (r && r.summary) || {};
  if (typeof s.rows === 'number') return s.rows;
  if (s.summary && typeof s.summary.rows === 'number') return s.summary.rows;
  if (Array.isArray(r && r.rows)) return r.rows.length;
  return typeof (r && r.rows) === 'number' ? r.rows : '?';
}

// resultText flattens a scorer's summary: {"score": {"mean": 0.96}}
// reads "score: mean 0.96".
function resultText(res) {
  if (!res || typeof res !== 'object') return String(res ?? '');
  return Object.entries(res).map(([k, v]) => `${k}: ${valueText(v)}`).join(' · ');
}

function valueText(v) {
  if (typeof v === 'number') return String(+v.toFixed(3));
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    return Object.entries(v).map(([k, x]) => `${k.replaceAll('_', ' ')} ${typeof x === 'number' ? +x.toFixed(3) : JSON.stringify(x)}`).join(', ');
  }
  return JSON.stringify(v);
}

// --- start ---

async function start() {
  if (!getToken(ADMIN_TOKEN)) {
    ui.panels.hidden = true;
    return;
  }
  notify(ui.notice, '');
  ui.panels.hidden = false;
  const results = await Promise.allSettled([loadTotals(), loadOps(), loadCalls(), loadEvals()]);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) problem(failed.reason);
}

start();
