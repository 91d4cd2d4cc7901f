// The live connection of a chat session: check-ins, the typing indicator
// and replies arrive over a WebSocket when the server offers one. When it
// does not (or the socket drops), the chat page uses the POST routes, so
// Live only ever adds to what works without it.

const FIRST_DELAY_MS = 2000;
const MAX_DELAY_MS = 60000;
// A socket that never opened after this many tries is taken to be absent
// on this server; trying forever would only fill the console.
const GIVE_UP_AFTER = 3;

export class Live {
  // onEvent(msg) gets each message the server pushes; onState(state) gets
  // "connecting", "open", "closed" or "off" (given up).
  constructor({ onEvent, onState }) {
    this.onEvent = onEvent;
    this.onState = onState;
    this.ws = null;
    this.open = false;
    this.failures = 0;
    this.everOpened = false;
    this.timer = 0;
    this.session = '';
    this.token = '';
  }

  connect(session, token) {
    this.stop();
    this.session = session;
    this.token = token;
    this.failures = 0;
    this.everOpened = false;
    this.dial();
  }

  dial() {
    if (!this.session || typeof WebSocket === 'undefined') {
      this.onState('off');
      return;
    }
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const path = '/ws/chat';
    let ws;
    try {
      ws = new WebSocket(`${scheme}//${location.host}${path}?session=${encodeURIComponent(this.session)}`);
    } catch {
      this.onState('off');
      return;
    }
    this.ws = ws;
    this.onState('connecting');
    ws.addEventListener('open', () => this.opened(ws));
    ws.addEventListener('message', (e) => this.received(ws, e));
    ws.addEventListener('close', () => this.closed(ws));
  }

  // The token goes in the first message, not the URL, so that it stays out
  // of proxy and server logs.
  opened(ws) {
    if (ws !== this.ws) return;
    try {
      ws.send(JSON.stringify({ token: this.token }));
    } catch {
      return;
    }
    this.open = true;
    this.everOpened = true;
    this.failures = 0;
    this.onState('open');
  }

  received(ws, e) {
    if (ws !== this.ws) return;
    let msg;
    try {
      msg = JSON.parse(e.data);
    } catch {
      return; // not ours to show
    }
    if (msg && typeof msg === 'object') this.onEvent(msg);
  }

  closed(ws) {
    if (ws !== this.ws) return;
    this.ws = null;
    const wasOpen = this.open;
    this.open = false;
    if (!wasOpen) this.failures++;
    if (!this.everOpened && this.failures >= GIVE_UP_AFTER) {
      this.onState('off');
      return;
    }
    this.onState('closed');
    const delay = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** this.failures);
    this.timer = setTimeout(() => this.dial(), delay);
  }

  // send sends a user message; false when the socket is not open, and the
  // caller should use the POST route instead.
  send(text) {
    if (!this.open || !this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    try {
      this.ws.send(JSON.stringify({ type: 'message', text }));
      return true;
    } catch {
      return false;
    }
  }

  // retry dials again now, e.g. when the browser comes back online.
  retry() {
    if (this.session && !this.ws && this.everOpened) {
      clearTimeout(this.timer);
      this.dial();
    }
  }

  stop() {
    clearTimeout(this.timer);
    const ws = this.ws;
    this.ws = null;
    this.open = false;
    this.session = '';
    if (ws) {
      try {
        ws.close(1000, 'bye');
      } catch {
        // already closing
      }
    }
  }
}
