// The dashboard's "Memory across users" panel: how each support tool fares
// across every user's live interventions, and how many interventions were
// made on each of the last days. It draws what GET /api/stats returned
// (dashboard.js fetches it) and calls no API itself.
import { el, toolLabel } from './api.js';

// renderMemStats fills the panel from the totals: tools and daily may be
// missing from an older server, and then the panel says so.
export function renderMemStats(totals, { table, chart, desc }) {
  const tools = Array.isArray(totals && totals.tools) ? totals.tools : [];
  const daily = Array.isArray(totals && totals.daily) ? totals.daily : [];
  table.replaceChildren(...tools.map(toolRow));
  if (!tools.length) table.append(el('tr', {}, el('td', { colspan: 4, class: 'muted', text: 'No live interventions yet.' })));
  drawDaily(chart, daily);
  const total = daily.reduce((n, d) => n + (d.count || 0), 0);
  desc.textContent = daily.length
    ? `${total} interventions made from ${daily[0].day} to ${daily[daily.length - 1].day}, one bar per day, oldest first.`
    : 'No daily counts.';
}

function pct(part, whole) {
  return whole ? `${Math.round((100 * part) / whole)}%` : '–';
}

function toolRow(t) {
  const mean = typeof t.mean_effectiveness === 'number' ? t.mean_effectiveness.toFixed(2) : '–';
  return el('tr', {},
    el('td', { title: t.tool || '' }, el('span', { text: toolLabel(t.tool) }), ' ', el('code', { class: 'small muted', text: t.tool || '' })),
    el('td', { class: 'num', text: t.uses ?? 0 }),
    el('td', { class: 'num', text: pct(t.successes || 0, t.uses || 0), title: `${t.successes || 0} of ${t.uses || 0}` }),
    el('td', { class: 'num', text: mean, title: `${t.scored || 0} scored` }));
}

// drawDaily draws one vertical bar per day. The <svg> comes from the page,
// so its namespace is taken from it and never spelled here.
function drawDaily(svg, daily) {
  const node = (tag, attrs, text) => {
    const n = document.createElementNS(svg.namespaceURI, tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
    if (text !== undefined) n.textContent = text;
    return n;
  };
  const W = 360, H = 140, L = 28, R = 4, T = 10, B = 22;
  const pw = W - L - R, ph = H - T - B;
  svg.replaceChildren();
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.style.maxWidth = '720px';
  if (!daily.length) {
    svg.append(node('text', { x: 0, y: 18 }, 'No daily counts.'));
    return;
  }
  const max = Math.max(1, ...daily.map((d) => d.count || 0));
  const slot = pw / daily.length;
  svg.append(node('line', { x1: L, y1: T + ph, x2: L + pw, y2: T + ph, stroke: 'currentColor', 'stroke-opacity': 0.4 }),
    node('text', { x: L - 4, y: T + 8, 'text-anchor': 'end' }, String(max)),
    node('text', { x: L - 4, y: T + ph, 'text-anchor': 'end' }, '0'));
  daily.forEach((d, i) => {
    const h = (ph * (d.count || 0)) / max;
    const bar = node('rect', {
      x: (L + i * slot + slot * 0.15).toFixed(1), y: (T + ph - h).toFixed(1),
      width: (slot * 0.7).toFixed(1), height: h.toFixed(1), fill: '#3f7cac', rx: 1,
    });
    bar.append(node('title', {}, `${d.day}: ${d.count || 0}`));
    svg.append(bar);
  });
  svg.append(node('text', { x: L, y: H - 6 }, daily[0].day),
    node('text', { x: L + pw, y: H - 6, 'text-anchor': 'end' }, daily[daily.length - 1].day));
}
