// The chat page: sign up or log in, then talk with Steady by text.
import { api, ApiError, el, $, getToken, setToken, stored, store, notify, busy, toolLabel } from './api.js';
import { Live } from './live.js';

const SESSION_KEY = 'steady.session';
const LOG_KEY = 'steady.log';
const KEEP = 60; // messages kept across a reload of the page
const REPLY_WAIT_MS = 60000;

const ui = {
  notice: $('#notice'), welcome: $('#welcome'), chat: $('#chat'), ended: $('#ended'),
  log: $('#log'), typing: $('#typing'), form: $('#send-form'), input: $('#message'),
  send: $('#send'), conn: $('#conn'), summary: $('#summary'),
};

let sessionId = '';
let kept = [];
let awaiting = false;
let viaSocket = false; // the awaited reply was asked for over the socket
let waitTimer = 0;
const live = new Live({ onEvent: pushed, onState: connState });

function show(view) {
  for (const v of ['welcome', 'chat', 'ended']) ui[v].hidden = v !== view;
}

function reducedMotion() {
  return window.matchMedia('(prefers-reduced-motion: reduce)').matches;
}

// attempt runs work with button busy, and turns a failure into a gentle note.
async function attempt(button, work) {
  notify(ui.notice, '');
  try {
    await busy(button, work);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401 && getToken()) signOut('Your sign-in has ended. Please log in again — nothing you wrote is lost from your memory.');
    else notify(ui.notice, err.message || String(err), 'gentle');
  }
}

// --- signing in ---

for (const b of document.querySelectorAll('[data-show]')) {
  b.addEventListener('click', () => {
    const target = document.getElementById(b.dataset.show);
    for (const f of [$('#login-form'), $('#register-form')]) f.hidden = f !== target;
    target.querySelector('input').focus();
  });
}

$('#login-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const f = e.currentTarget;
  attempt(f.querySelector('[type=submit]'), async () => {
    const r = await api('POST', '/api/auth/login', { email: f.elements.email.value.trim(), password: f.elements.password.value });
    f.reset();
    await signedIn(r);
  });
});

$('#register-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const f = e.currentTarget;
  attempt(f.querySelector('[type=submit]'), async () => {
    const r = await api('POST', '/api/auth/register',
      { name: f.elements.name.value.trim(), email: f.elements.email.value.trim(), password: f.elements.password.value });
    f.reset();
    await signedIn(r);
  });
});

async function signedIn(r) {
  setToken(r && r.token);
  await resumeOrStart();
}

function signOut(message) {
  live.stop();
  setToken('');
  forgetSession();
  ui.log.replaceChildren();
  show('welcome');
  notify(ui.notice, message || '', 'info');
  $('#login-email').focus();
}

$('#logout').addEventListener('click', async (e) => {
  await busy(e.currentTarget, async () => {
    try {
      await api('POST', '/api/auth/logout');
    } catch {
      // Signing out locally is what matters to the person here.
    }
  });
  signOut('You are logged out. Take care.');
});

// --- sessions ---

function forgetSession() {
  sessionId = '';
  kept = [];
  store(SESSION_KEY, '');
  store(LOG_KEY, '');
}

async function resumeOrStart() {
  sessionId = stored(SESSION_KEY);
  if (!sessionId) {
    await startSession();
    return;
  }
  try {
    kept = JSON.parse(stored(LOG_KEY) || '[]');
  } catch {
    kept = [];
  }
  ui.log.replaceChildren();
  for (const m of kept) render(m);
  enterChat();
}

async function startSession() {
  const r = await api('POST', '/api/sessions', {});
  forgetSession();
  sessionId = String((r && (r.id || r.session_id)) || '');
  store(SESSION_KEY, sessionId);
  ui.log.replaceChildren();
  if (r && r.greeting) add({ who: 'steady', text: r.greeting });
  enterChat();
}

function enterChat() {
  show('chat');
  live.connect(sessionId, getToken());
  ui.input.focus();
}

$('#end-session').addEventListener('click', (e) => {
  attempt(e.currentTarget, async () => {
    setAwaiting(false);
    let r = null;
    try {
      r = await api('POST', `/api/sessions/${encodeURIComponent(sessionId)}/end`, {});
    } catch (err) {
      // 404: the session had already ended (it was idle too long); the
      // person still gets a calm ending rather than an error.
      if (!(err instanceof ApiError && err.status === 404)) throw err;
    }
    live.stop();
    forgetSession();
    ui.summary.replaceChildren(...ending(r));
    show('ended');
    $('#ended-title').focus();
  });
});

$('#new-session').addEventListener('click', (e) => {
  attempt(e.currentTarget, startSession);
});

// ending turns the end of a session into a few kind sentences.
function ending(r) {
  const out = [];
  const s = r && r.summary;
  if (typeof s === 'string' && s) out.push(el('p', { text: s }));
  else if (s && typeof s === 'object') out.push(...summaryLines(s));
  const refl = r && r.reflection;
  const insight = typeof refl === 'string' ? refl : refl && (refl.insight || refl.summary);
  if (insight) out.push(el('h2', { text: 'Something to keep' }), el('p', { text: insight }));
  if (!out.length) out.push(el('p', { text: 'Your session is saved. Well done for showing up today.' }));
  return out;
}

function summaryLines(s) {
  const lines = [];
  const minutes = s.duration_ns ? Math.max(1, Math.round(s.duration_ns / 6e10)) : 0;
  if (minutes) lines.push(`We spent about ${minutes} minute${minutes === 1 ? '' : 's'} together.`);
  if (s.tasks_completed) lines.push(`You finished ${s.tasks_completed} task${s.tasks_completed === 1 ? '' : 's'}.`);
  if (s.steps_completed) lines.push(`You completed ${s.steps_completed} small step${s.steps_completed === 1 ? '' : 's'}.`);
  if (Array.isArray(s.helped) && s.helped.length) lines.push(`What seemed to help: ${s.helped.map(toolLabel).join(', ')}.`);
  if (!lines.length) lines.push('Thank you for taking this time for yourself.');
  return [el('h2', { text: 'What we did' }), el('ul', {}, lines.map((l) => el('li', { text: l })))];
}

// --- messages ---

function add(m) {
  kept.push(m);
  kept = kept.slice(-KEEP);
  store(LOG_KEY, JSON.stringify(kept));
  render(m);
}

function whoLabel(m) {
  if (m.who === 'you') return 'You';
  if (m.who === 'checkin') return m.kind === 'reminder' ? 'Reminder from Steady' : 'Check-in from Steady';
  return 'Steady';
}

function render(m) {
  const tools = Array.isArray(m.tools) ? m.tools : [];
  const li = el('li', { class: `msg msg-${m.who}` },
    el('p', { class: 'who', text: whoLabel(m) }),
    el('p', { class: 'text', text: m.text }),
    tools.length ? el('ul', { class: 'chips', 'aria-label': 'Support used' },
      tools.map((t) => el('li', { class: 'chip', title: t, text: toolLabel(t) }))) : null);
  ui.log.append(li);
  li.scrollIntoView({ block: 'end', behavior: reducedMotion() ? 'auto' : 'smooth' });
}

function replied(r) {
  setAwaiting(false);
  const calls = Array.isArray(r && r.tool_calls) ? r.tool_calls : [];
  const tools = [...new Set(calls.map((c) => c && c.name).filter(Boolean))];
  const text = (r && (r.reply || r.text)) || '';
  if (text || tools.length) add({ who: 'steady', text, tools });
}

function setAwaiting(on, socket = false) {
  awaiting = on;
  viaSocket = on && socket;
  ui.typing.hidden = !on;
  ui.send.disabled = on;
  clearTimeout(waitTimer);
  if (on) {
    waitTimer = setTimeout(() => {
      setAwaiting(false);
      notify(ui.notice, 'Steady is taking longer than usual. The answer will appear here when it is ready, or you can send your message again.', 'gentle');
    }, REPLY_WAIT_MS);
  }
}

ui.form.addEventListener('submit', (e) => {
  e.preventDefault();
  send();
});

ui.input.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    ui.form.requestSubmit();
  }
});

async function send() {
  const text = ui.input.value.trim();
  if (!text || awaiting) return;
  notify(ui.notice, '');
  add({ who: 'you', text });
  ui.input.value = '';
  if (live.send(text)) {
    setAwaiting(true, true); // the reply comes over the socket
    return;
  }
  setAwaiting(true);
  try {
    replied(await api('POST', `/api/sessions/${encodeURIComponent(sessionId)}/messages`, { text }));
  } catch (err) {
    setAwaiting(false);
    await sendFailed(err, text);
  }
}

async function sendFailed(err, text) {
  if (err instanceof ApiError && err.status === 401) {
    signOut('Your sign-in has ended. Please log in again.');
    return;
  }
  ui.input.value = text;
  if (err instanceof ApiError && err.status === 404) {
    notify(ui.notice, 'That session had already closed, so we started a fresh one. Your message is back in the box — send it when you are ready.', 'info');
    await attempt(null, startSession);
    ui.input.value = text;
    return;
  }
  notify(ui.notice, `${err.message} Your message is back in the box.`, 'gentle');
}

// --- the live connection ---

function pushed(msg) {
  switch (msg.type) {
    case 'checkin':
      add({ who: 'checkin', kind: msg.kind || 'checkin', text: msg.message || '' });
      break;
    case 'typing':
      ui.typing.hidden = !(msg.on || awaiting);
      break;
    case 'reply':
      replied(msg);
      break;
    case 'error':
      setAwaiting(false);
      notify(ui.notice, (msg.error && msg.error.message) || msg.message || 'Something did not work. Please try again.', 'gentle');
      break;
    default:
      break; // newer server messages this page does not know yet
  }
}

function connState(state) {
  const words = {
    connecting: 'Connecting…',
    open: 'Connected. Check-ins and reminders will appear here.',
    closed: 'Reconnecting quietly. You can keep writing.',
    off: 'You can write as usual. Steady cannot send check-ins on its own just now.',
  };
  ui.conn.textContent = words[state] || '';
  if (state !== 'open' && awaiting && viaSocket) {
    // A reply promised over the socket will not come: say so plainly.
    setAwaiting(false);
    notify(ui.notice, 'The connection paused before Steady answered. If your last message has no reply, please send it again.', 'gentle');
  }
}

window.addEventListener('online', () => live.retry());

// --- start ---

async function init() {
  if (!getToken()) {
    show('welcome');
    return;
  }
  try {
    await api('GET', '/api/auth/me');
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      signOut('Please log in again to continue.');
      return;
    }
    // Offline or the server is restarting: carry on, the next call says so.
  }
  await attempt(null, resumeOrStart);
}

init();
