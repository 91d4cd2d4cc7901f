// Shared by the three pages: calling the API, keeping tokens, building DOM
// safely (text only, never HTML from the server), and reading responses
// whose exact shape may still change.

export const USER_TOKEN = 'steady.token';
export const ADMIN_TOKEN = 'steady.adminToken';

// A failed call, with the server's gentle message when it sent one.
export class ApiError extends Error {
  constructor(message, status, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// stored and store keep small values for this tab only; private browsing
// may refuse storage, and then they last until the page reloads.
export function stored(key) {
  try {
    return sessionStorage.getItem(key) || '';
  } catch {
    return '';
  }
}

export function store(key, value) {
  try {
    if (value) sessionStorage.setItem(key, value);
    else sessionStorage.removeItem(key);
  } catch {
    // Storage refused or full: the page keeps working without it.
  }
}

export function getToken(key = USER_TOKEN) {
  return stored(key);
}

export function setToken(value, key = USER_TOKEN) {
  store(key, value);
}

// api calls the server with JSON. Every call site writes the method and the
// path literal inline in the call, so that the server's tests can check
// each path against the routes it registers.
export async function api(method, path, body, tokenKey = USER_TOKEN) {
  const headers = { Accept: 'application/json' };
  const token = getToken(tokenKey);
  if (token) headers.Authorization = `Bearer ${token}`;
  const init = { method, headers };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError('We could not reach Steady just now. Your connection may be resting — try again in a moment.', 0, 'unavailable');
  }
  const data = await readJSON(res);
  if (!res.ok) throw errorFrom(res, data);
  return data;
}

async function readJSON(res) {
  if (res.status === 204) return null;
  const text = await res.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return { text };
  }
}

function errorFrom(res, data) {
  const e = data && data.error;
  if (e && typeof e === 'object' && e.message) return new ApiError(e.message, res.status, e.code);
  if (typeof e === 'string') return new ApiError(e, res.status);
  if (res.status === 404) return new ApiError('That is not available yet.', 404, 'not_found');
  return new ApiError('Something did not work on our side. It is not your fault — please try again soon.', res.status);
}

// el builds an element. attrs: class, text, aria-*, data-*, on<event>
// handlers, and plain attributes; children are nodes or strings.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  setAttrs(node, attrs);
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(typeof c === 'string' || typeof c === 'number' ? String(c) : c);
  }
  return node;
}

function setAttrs(node, attrs) {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'text') node.textContent = String(v);
    else if (k === 'class') node.className = v;
    else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
}

// listFrom finds the list in a response that may be a bare array or an
// object wrapping it under one of keys.
export function listFrom(data, ...keys) {
  if (Array.isArray(data)) return data;
  if (!data || typeof data !== 'object') return [];
  for (const k of [...keys, 'items', 'results', 'data']) {
    if (Array.isArray(data[k])) return data[k];
  }
  return [];
}

// nextCursor reads the cursor of a page, whichever name the API uses.
export function nextCursor(data) {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return '';
  return data.next_cursor || data.next || data.cursor || '';
}

// Human names for the support tools, as the user sees them.
export const TOOL_NAMES = {
  create_microsteps: 'Small steps',
  start_breathing_exercise: 'Breathing',
  grounding_exercise: 'Grounding',
  sensory_check: 'Sensory check',
  suggest_break: 'Break',
  reframe_thought: 'Reframe',
  schedule_checkin: 'Check-in',
  create_reminder: 'Reminder',
  log_micro_win: 'Win',
  mark_step_complete: 'Step done',
  get_current_step: 'Current step',
  get_current_time: 'Time',
  get_time_since_last_checkin: 'Since check-in',
};

export function toolLabel(name) {
  return TOOL_NAMES[name] || String(name || 'Support').replaceAll('_', ' ');
}

const OUTCOMES = {
  pending: 'Not known yet',
  intervention_applied: 'Tried it',
  task_started: 'Got started',
  task_progress: 'Made progress',
  task_completed: 'Finished the task',
  re_engaged: 'Came back to it',
  distracted: 'Got distracted',
  abandoned: 'Set it aside',
};

export function outcomeLabel(outcome) {
  return OUTCOMES[outcome] || String(outcome || 'Not known yet').replaceAll('_', ' ');
}

// when formats a timestamp in the reader's own locale and time zone.
export function when(value) {
  if (!value) return '';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

// notify shows a message in a live region; kind is "info", "ok" or "gentle"
// (a calm colour for problems, never an alarm).
export function notify(region, message, kind = 'info') {
  if (!region) return;
  region.replaceChildren();
  if (!message) {
    region.hidden = true;
    return;
  }
  region.hidden = false;
  region.dataset.kind = kind;
  region.append(el('p', { text: message }));
}

// busy disables a button while work runs, and says so to screen readers.
export async function busy(button, work) {
  if (button) {
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
  }
  try {
    return await work();
  } finally {
    if (button) {
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
  }
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}
