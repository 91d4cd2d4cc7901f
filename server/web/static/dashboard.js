// The operator dashboard: calls and traces, per-operation latency,
// feedback on calls, evaluation runs and memory totals.
import { api, ApiError, ADMIN_TOKEN, el, $, getToken, setToken, notify, busy, listFrom, when } from './api.js';
import { renderMemStats } from './memstats.js';

const ui = {
  notice: $('#notice'), tokenForm: $('#token-form'), panels: $('#panels'), totals: $('#totals'),
  since: $('#ops-since'), ops: $('#ops'), chart: $('#p95-chart'), filters: $('#filters'), calls: $('#calls'),
  trace: $('#trace'), traceTitle: $('#trace-title'), tree: $('#trace-tree'), evals: $('#evals'), evalDetail: $('#eval-detail'),
  timeline: $('#timeline'), timelineTitle: $('#timeline-title'), timelineChart: $('#timeline-chart'), timelineDesc: $('#timeline-desc'),
  compareForm: $('#compare-form'), compare: $('#eval-compare'),
  memStats: { table: $('#tool-totals'), chart: $('#daily-chart'), desc: $('#daily-desc') },
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
  renderMemStats(t, ui.memStats);
}

// --- operations ---

async function loadOps() {
  const q = new URLSearchParams({ since: ui.since.value });
  const rows = listFrom(await op('GET', `/api/ops?${q}`), 'ops', 'stats');
  ui.ops.replaceChildren(...rows.map((o) => el('tr', {},
    el('td', {}, el('button', {
      type: 'button', class: 'quiet small', 'aria-label': `Show the timeline of ${o.op}`,
      onclick: (e) => busy(e.currentTarget, () => openTimeline(o.op).catch(problem)),
    }, el('code', { text: o.op || o.name || '' }))),
    el('td', { class: 'num', text: o.count ?? '' }),
    el('td', { class: 'num', text: fmtRate(o) }),
    el('td', { class: 'num', text: fmtMs(millis(o, 'p50')) }),
    el('td', { class: 'num', text: fmtMs(millis(o, 'p95')) }),
    el('td', { class: 'num', text: fmtMs(millis(o, 'p99')) }))));
  if (!rows.length) ui.ops.append(el('tr', {}, el('td', { colspan: 6, class: 'muted', text: 'No calls in this window.' })));
  drawChart(rows);
}

ui.since.addEventListener('change', () => {
  loadOps().catch(problem);
  if (!ui.timeline.hidden && ui.timeline.dataset.op) openTimeline(ui.timeline.dataset.op).catch(problem);
});

// svgNode makes an SVG element in the namespace of the page's own <svg>:
// the namespace's name is a URL, which the page's scripts never spell.
function svgNode(svg, tag, attrs, text) {
  const n = document.createElementNS(svg.namespaceURI, tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
  if (text !== undefined) n.textContent = text;
  return n;
}

// --- an operation's timeline ---

async function openTimeline(name) {
  const q = new URLSearchParams({ op: name, since: ui.since.value, buckets: '24' });
  const data = await op('GET', `/api/ops/timeline?${q}`);
  const buckets = listFrom(data, 'buckets');
  ui.timeline.dataset.op = name;
  ui.timelineTitle.textContent = `Timeline of ${name}`;
  drawTimeline(buckets);
  const calls = buckets.reduce((n, b) => n + (b.count || 0), 0);
  const errors = buckets.reduce((n, b) => n + (b.errors || 0), 0);
  const worst = Math.max(0, ...buckets.map((b) => millis(b, 'p99') || 0));
  ui.timelineDesc.textContent = `${calls} calls and ${errors} errors in ${buckets.length} intervals; ` +
    `the slowest interval's p99 is ${fmtMs(worst)}.`;
  ui.timeline.hidden = false;
  ui.timeline.focus();
}

$('#timeline-close').addEventListener('click', () => {
  ui.timeline.hidden = true;
});

// Each series has a colour and a dash pattern, so that the lines stay apart
// without colour too.
const SERIES = [
  { key: 'p50', label: 'p50', color: '#2f8f83', dash: '' },
  { key: 'p95', label: 'p95', color: '#c98a1c', dash: '6 3' },
  { key: 'p99', label: 'p99', color: '#c2415a', dash: '2 3' },
  { key: 'error_rate', label: 'errors %', color: '#6d5bd0', dash: '9 3 2 3' },
];

// drawTimeline draws the latency percentiles against the left axis and the
// error rate against the right one. The viewBox is narrow so that its text
// stays legible when a phone shrinks the chart to its width.
function drawTimeline(buckets) {
  const svg = ui.timelineChart;
  const node = (tag, attrs, text) => svgNode(svg, tag, attrs, text);
  const W = 360, H = 230, L = 48, R = 40, T = 34, B = 26;
  const pw = W - L - R, ph = H - T - B;
  svg.replaceChildren();
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.style.maxWidth = '720px';
  if (!buckets.some((b) => b.count)) {
    svg.append(node('text', { x: 0, y: 18 }, 'No calls of this operation in this window.'));
    return;
  }
  const maxMs = Math.max(1e-3, ...buckets.map((b) => millis(b, 'p99') || 0));
  const maxRate = Math.max(0.01, ...buckets.map((b) => b.error_rate || 0));
  const x = (i) => L + (buckets.length < 2 ? pw / 2 : (pw * i) / (buckets.length - 1));
  const y = (v, max) => T + ph - (ph * v) / max;
  svg.append(node('line', { x1: L, y1: T + ph, x2: L + pw, y2: T + ph, stroke: 'currentColor', 'stroke-opacity': 0.4 }));
  for (const f of [0, 0.5, 1]) {
    const yy = y(f, 1);
    svg.append(node('line', { x1: L, y1: yy, x2: L + pw, y2: yy, stroke: 'currentColor', 'stroke-opacity': 0.12 }),
      node('text', { x: L - 4, y: yy + 4, 'text-anchor': 'end' }, fmtMs(maxMs * f)),
      node('text', { x: L + pw + 4, y: yy + 4 }, `${+(maxRate * f * 100).toFixed(maxRate < 0.1 ? 1 : 0)}%`));
  }
  const first = buckets[0].start, last = buckets[buckets.length - 1].start;
  svg.append(node('text', { x: L, y: H - 6 }, clock(first)),
    node('text', { x: L + pw, y: H - 6, 'text-anchor': 'end' }, clock(last)));
  SERIES.forEach((s, i) => {
    const rate = s.key === 'error_rate';
    // Empty intervals have no latency: the line breaks there rather than
    // dropping to zero. The error rate of an empty interval is no error.
    const segs = [[]];
    buckets.forEach((b, j) => {
      const v = rate ? (b.error_rate || 0) : millis(b, s.key);
      if (!b.count && !rate) { if (segs[segs.length - 1].length) segs.push([]); return; }
      segs[segs.length - 1].push(`${x(j).toFixed(1)},${y(v || 0, rate ? maxRate : maxMs).toFixed(1)}`);
    });
    for (const pts of segs.filter((p) => p.length)) {
      const attrs = { fill: 'none', stroke: s.color, 'stroke-width': 2, 'stroke-dasharray': s.dash, 'stroke-linejoin': 'round' };
      svg.append(pts.length > 1 ? node('polyline', { ...attrs, points: pts.join(' ') })
        : node('circle', { cx: pts[0].split(',')[0], cy: pts[0].split(',')[1], r: 2.5, fill: s.color }));
    }
    const lx = L + i * 72;
    svg.append(node('line', { x1: lx, y1: 12, x2: lx + 18, y2: 12, stroke: s.color, 'stroke-width': 2, 'stroke-dasharray': s.dash }),
      node('text', { x: lx + 22, y: 16 }, s.label));
  });
}

// clock shows an interval's start as a short local time.
function clock(t) {
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

// drawChart draws one horizontal bar per operation, longest p95 first. The
// <svg> comes from the page, so its namespace is taken from it.
function drawChart(rows) {
  const svg = ui.chart;
  const data = rows.map((o) => ({ name: o.op || o.name || '?', v: millis(o, 'p95') || 0 }))
    .sort((a, b) => b.v - a.v).slice(0, 15);
  const W = 640, LABEL = 220, VALUE = 80, ROW = 26;
  const max = Math.max(...data.map((d) => d.v), 1e-9);
  const H = Math.max(ROW, data.length * ROW);
  svg.replaceChildren();
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  const node = (tag, attrs, text) => svgNode(svg, tag, attrs, text);
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
  fillCompare(runs);
}

// --- two runs side by side ---

// fillCompare offers the runs in both pickers, keeping a choice that is
// still listed; B starts on the newest run and A on the one before it.
function fillCompare(runs) {
  ui.compareForm.hidden = runs.length < 2;
  ['a', 'b'].forEach((k, i) => {
    const sel = ui.compareForm.elements[k];
    const keep = sel.value;
    sel.replaceChildren(...runs.map((r) => el('option', { value: r.id, text: `${r.name || r.id} · ${when(r.finished || r.created_at)}` })));
    sel.value = runs.some((r) => r.id === keep) ? keep : (runs[i === 0 ? 1 : 0] || {}).id || '';
  });
}

ui.compareForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const { a, b } = ui.compareForm.elements;
  if (!a.value || !b.value) return;
  busy(ui.compareForm.querySelector('[type=submit]'), () => compareRuns(a.value, b.value).catch(problem));
});

async function compareRuns(a, b) {
  const q = new URLSearchParams({ a, b });
  const cmp = await op('GET', `/api/evaluations/compare?${q}`);
  const scorers = listFrom(cmp, 'scorers');
  const th = (text) => el('th', { scope: 'col', class: text === 'Scorer' || text === 'Metric' ? '' : 'num', text });
  const num = (v) => (typeof v === 'number' ? String(+v.toFixed(3)) : '–');
  const rows = scorers.flatMap((sc) => {
    const metrics = sc.metrics && sc.metrics.length ? sc.metrics : [{ path: '–' }];
    const span = metrics.length;
    return metrics.map((m, i) => el('tr', {},
      i === 0 ? el('th', { scope: 'row', rowspan: span }, el('code', { text: sc.scorer })) : null,
      el('td', { text: m.path }),
      el('td', { class: 'num', text: num(m.a) }),
      el('td', { class: 'num', text: num(m.b) }),
      el('td', { class: 'num', text: typeof m.delta === 'number' && m.delta > 0 ? `+${num(m.delta)}` : num(m.delta) }),
      i === 0 ? el('td', { class: 'num', rowspan: span, text: `${sc.wins ?? 0} / ${sc.losses ?? 0} / ${sc.ties ?? 0} of ${sc.rows ?? 0}` }) : null));
  });
  ui.compare.replaceChildren(el('h3', { text: `B (${cmp.b}) against A (${cmp.a})` }),
    el('p', { class: 'muted small', text: 'Delta is B − A. Wins, losses and ties count the examples where B scored higher, lower or the same.' }),
    rows.length ? el('div', { class: 'table-wrap' }, el('table', {},
      el('thead', {}, el('tr', {}, ['Scorer', 'Metric', 'A', 'B', 'Delta', 'Wins / losses / ties'].map(th))),
      el('tbody', {}, rows)))
      : el('p', { class: 'muted', text: 'These runs have no scorer in common.' }));
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
