// "My memory": what Steady remembers for the signed-in user, their profile,
// and forgetting it all.
import { api, ApiError, el, $, getToken, notify, busy, listFrom, nextCursor, toolLabel, outcomeLabel, when } from './api.js';

const PAGE = 20;
const ui = {
  notice: $('#notice'), content: $('#content'), signedOut: $('#signed-out'), stats: $('#stats'),
  profile: $('#profile-form'), interventions: $('#interventions'), more: $('#more'),
  reflections: $('#reflections'), dialog: $('#forget-dialog'), forgetList: $('#forget-list'),
};

let cursor = '';
let counts = { interventions: null, reflections: null };

// gently reports a failure; a 401 means the sign-in has ended.
function gently(err) {
  if (err instanceof ApiError && err.status === 401) {
    showSignedOut();
    return;
  }
  notify(ui.notice, err.message || String(err), 'gentle');
}

function showSignedOut() {
  ui.content.hidden = true;
  ui.signedOut.hidden = false;
}

// unwrap returns data[key] when the API wraps the object, else data.
function unwrap(data, key) {
  if (data && typeof data === 'object' && data[key] && typeof data[key] === 'object') return data[key];
  return data || {};
}

function percent(x) {
  return typeof x === 'number' && Number.isFinite(x) ? `${Math.round(x * 100)}%` : '';
}

// --- stats ---

async function loadStats() {
  const s = unwrap(await api('GET', '/api/memory/stats'), 'stats');
  counts = { interventions: s.interventions ?? null, reflections: s.reflections ?? null };
  const tools = listFrom(s, 'tools');
  const parts = [el('div', { class: 'grid' },
    stat('Moments kept', s.interventions ?? 0),
    stat('That helped', s.successful ?? 0),
    stat('Reflections', s.reflections ?? 0))];
  if (tools.length) {
    parts.push(el('h3', { text: 'By kind of support' }), el('ul', { class: 'plain' }, tools.map(toolLine)));
  } else {
    parts.push(el('p', { class: 'muted', text: 'Nothing yet. As you talk with Steady, what helps will show here.' }));
  }
  ui.stats.replaceChildren(...parts);
}

function stat(label, value) {
  return el('div', { class: 'stat' }, el('b', { text: value }), el('span', { text: label }));
}

function toolLine(t) {
  const eff = percent(t.mean_effectiveness);
  return el('li', { class: 'item' },
    el('strong', { text: toolLabel(t.tool) }),
    el('div', { class: 'meta' },
      el('span', { text: `Used ${t.uses ?? 0} time${t.uses === 1 ? '' : 's'}` }),
      el('span', { text: `Helped ${t.successes ?? 0}` }),
      eff ? el('span', { class: 'score', text: `Effectiveness ${eff}` }) : null));
}

// --- profile ---

async function loadProfile() {
  let p = {};
  try {
    p = unwrap(await api('GET', '/api/profile'), 'profile');
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 404)) throw err;
  }
  const f = ui.profile;
  f.elements.diagnosis.value = p.diagnosis || 'NONE';
  f.elements.diagnosis_source.value = p.diagnosis_source || 'UNSPECIFIED';
  f.elements.preferred_checkin_interval.value = p.preferred_checkin_interval || '';
  f.elements.sensory_sensitivities.value = (p.sensory_sensitivities || []).join(', ');
}

ui.profile.addEventListener('submit', (e) => {
  e.preventDefault();
  const f = ui.profile;
  const minutes = Number.parseInt(f.elements.preferred_checkin_interval.value, 10);
  if (!(minutes >= 1 && minutes <= 240)) {
    notify(ui.notice, 'Please choose a check-in interval from 1 to 240 minutes.', 'gentle');
    f.elements.preferred_checkin_interval.focus();
    return;
  }
  const body = {
    diagnosis: f.elements.diagnosis.value,
    diagnosis_source: f.elements.diagnosis_source.value,
    preferred_checkin_interval: minutes,
    sensory_sensitivities: f.elements.sensory_sensitivities.value.split(',').map((x) => x.trim()).filter(Boolean),
  };
  busy(f.querySelector('[type=submit]'), async () => {
    try {
      await api('PUT', '/api/profile', body);
      notify(ui.notice, 'Saved. Steady will use this from your next message.', 'ok');
    } catch (err) {
      gently(err);
    }
  });
});

// --- interventions ---

async function loadInterventions(reset) {
  if (reset) {
    cursor = '';
    ui.interventions.replaceChildren();
  }
  const q = new URLSearchParams({ limit: String(PAGE) });
  if (cursor) q.set('cursor', cursor);
  const data = await api('GET', `/api/memory/interventions?${q}`);
  const items = listFrom(data, 'interventions');
  ui.interventions.append(...items.map(intervention));
  cursor = nextCursor(data);
  ui.more.hidden = !cursor;
  if (!ui.interventions.children.length) {
    ui.interventions.append(el('li', { class: 'muted', text: 'No moments kept yet.' }));
  }
}

function intervention(iv) {
  const eff = percent(iv.scores && iv.scores.effectiveness);
  return el('li', { class: 'item' },
    el('ul', { class: 'chips', 'aria-label': 'Support used' }, el('li', { class: 'chip', title: iv.tool, text: toolLabel(iv.tool) })),
    iv.context ? el('p', {}, el('span', { class: 'muted', text: 'You said: ' }), iv.context) : null,
    iv.text ? el('p', {}, el('span', { class: 'muted', text: 'Steady: ' }), iv.text) : null,
    el('div', { class: 'meta' },
      el('span', { text: `How it went: ${outcomeLabel(iv.outcome)}` }),
      eff ? el('span', { class: 'score', text: `Effectiveness ${eff}` }) : null,
      el('time', { datetime: iv.created_at || '', text: when(iv.created_at) })));
}

ui.more.addEventListener('click', (e) => {
  busy(e.currentTarget, () => loadInterventions(false).catch(gently));
});

// --- reflections ---

async function loadReflections() {
  const items = listFrom(await api('GET', '/api/memory/reflections?limit=10'), 'reflections');
  ui.reflections.replaceChildren(...items.map((r) => el('li', { class: 'item' },
    el('p', { text: r.insight || r.summary || '' }),
    r.insight && r.summary ? el('p', { class: 'muted', text: r.summary }) : null,
    el('div', { class: 'meta' }, el('time', { datetime: r.created_at || '', text: when(r.created_at) })))));
  if (!items.length) ui.reflections.append(el('li', { class: 'muted', text: 'No reflections yet. One is kept when you end a session.' }));
}

// --- forgetting ---

$('#forget').addEventListener('click', () => {
  ui.forgetList.replaceChildren(...forgetItems());
  ui.dialog.showModal();
});

// forgetItems says exactly what DELETE /api/memory removes.
function forgetItems() {
  const n = (x, one, many) => (x === null ? `all your ${many}` : `${x} ${x === 1 ? one : many}`);
  return [
    el('li', { text: `${n(counts.interventions, 'moment', 'moments')} Steady helped with, with what you said and how it went` }),
    el('li', { text: `${n(counts.reflections, 'reflection', 'reflections')} from your past sessions` }),
    el('li', { text: 'your profile: what fits you, how often to check in, and what can feel like too much' }),
    el('li', { text: 'the working state of your sessions: small steps, check-ins, reminders and wins' }),
  ];
}

ui.dialog.addEventListener('close', async () => {
  if (ui.dialog.returnValue !== 'forget') return;
  try {
    const r = await api('DELETE', '/api/memory');
    notify(ui.notice, forgottenMessage(unwrap(r, 'forgotten')), 'ok');
    await loadAll();
  } catch (err) {
    gently(err);
  }
});

function forgottenMessage(f) {
  if (typeof f.interventions === 'number') {
    return `Done. Steady forgot ${f.interventions} moment${f.interventions === 1 ? '' : 's'}, ${f.reflections ?? 0} reflection${f.reflections === 1 ? '' : 's'} and your profile. You can start fresh whenever you like.`;
  }
  return 'Done. Steady has forgotten what it remembered about you. You can start fresh whenever you like.';
}

// --- start ---

async function loadAll() {
  const results = await Promise.allSettled([loadStats(), loadProfile(), loadInterventions(true), loadReflections()]);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) gently(failed.reason);
}

if (getToken()) {
  ui.content.hidden = false;
  loadAll();
} else {
  showSignedOut();
}
