// The one realtime client (protocol: docs/realtime.md) of the console and the widget. It owns
// the WebSocket: connecting (the console's cookie at the upgrade, or the widget's token in a
// `hello` frame, since browsers cannot set headers on WebSockets), reconnecting with backoff,
// an optional ping of its own to notice dead connections, following one conversation (re-
// subscribed with `after_seq` after every reconnect), and the outbox of messages not yet
// acknowledged. Callers listen to frames with on(type, fn).
//
// The outbox keeps every message until its `ack` (or a permanent `nack`): it is sent again
// with the same client_id after each (re)subscribe, and the server stores it once however
// often it arrives. Given a key it survives reloads in localStorage.

const OPEN = 1;
const FIRST_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 15000;

// Unacknowledged messages, each { client_id, body, conversation_id?, internal?, attachment_id? }.
// With a key they are kept in localStorage under it; without one, in memory only.
export function createOutbox(key = null) {
  let items = load();
  function load() {
    if (!key) return [];
    try {
      const saved = JSON.parse(localStorage.getItem(key) || "[]");
      return Array.isArray(saved) ? saved : [];
    } catch (e) { return []; /* corrupt or unavailable: start empty */ }
  }
  function save() {
    if (!key) return;
    try {
      if (items.length) localStorage.setItem(key, JSON.stringify(items)); else localStorage.removeItem(key);
    } catch (e) { /* private mode: memory only */ }
  }
  return {
    items: () => items.slice(),
    first: () => items[0],
    get size() { return items.length; },
    push(item) { items.push(item); save(); },
    // Whether something was removed.
    remove(clientId) {
      const before = items.length;
      items = items.filter((item) => item.client_id !== clientId);
      if (items.length !== before) save();
      return items.length !== before;
    },
  };
}

export function newClientId() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  return "c-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
}

// options:
//   base         the server's origin (default: this page's)
//   token        () => token or a promise of one: authenticate with a `hello` frame; without
//                it the upgrade request's cookie authenticates
//   outboxKey    localStorage key of the outbox (none: kept in memory)
//   canConnect   () => bool, asked before every (re)connect (default: always)
//   isPermanent  nack => bool: whether a refused message is dropped from the outbox
//                (default: a client error other than 429, i.e. resending cannot help)
//   heartbeat    { everyMs, deadMs }: send `ping` every everyMs and reconnect when nothing
//                was heard for deadMs (default: none; the server's own pings keep the socket)
//   reconnectWhenOnline  reconnect at once when the browser says it is back online
//
// Frames reach on(type, fn) listeners after the client has done its part: `welcome`
// (followed conversation re-subscribed), `subscribed` (outbox flushed), `ack` and
// permanent `nack` (removed from the outbox). on("*", fn) gets every frame, and
// on("down", fn) is called whenever the connection is lost.
export function createSocket({
  base = location.origin, token = null, outboxKey = null, canConnect = () => true,
  isPermanent = (nack) => nack.status < 500 && nack.status !== 429, heartbeat = null, reconnectWhenOnline = false,
} = {}) {
  const outbox = createOutbox(outboxKey);
  const listeners = new Map();
  let socket = null;
  let subscribed = false;   // the followed conversation's `subscribed` has arrived
  let following = null;     // { id, afterSeq: () => highest seq held }
  let backoff = FIRST_BACKOFF_MS;
  let reconnectTimer = null;
  let lastHeard = 0;

  function on(type, fn) {
    if (!listeners.has(type)) listeners.set(type, []);
    listeners.get(type).push(fn);
    return () => listeners.set(type, listeners.get(type).filter((other) => other !== fn));
  }
  function emit(type, value) {
    for (const fn of listeners.get(type) || []) fn(value);
  }

  const isOpen = () => socket?.readyState === OPEN;

  function send(frame) {
    if (!isOpen()) return false;
    socket.send(JSON.stringify(frame));
    return true;
  }

  function retry() {
    clearTimeout(reconnectTimer);
    reconnectTimer = setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  }

  function connect() {
    if (socket || !canConnect()) return;
    if (!token) { open(null); return; }
    new Promise((resolve) => resolve(token()))
      .then((value) => { if (!socket) open(value); })
      .catch(retry);
  }

  function open(helloToken) {
    const ws = new WebSocket(base.replace(/^http/, "ws") + "/api/v1/ws");
    socket = ws;
    subscribed = false;
    if (helloToken) ws.onopen = () => ws.send(JSON.stringify({ type: "hello", token: helloToken }));
    ws.onmessage = (event) => { lastHeard = Date.now(); onFrame(JSON.parse(event.data)); };
    ws.onclose = () => {
      if (socket === ws) socket = null;
      subscribed = false;
      emit("down");
      retry();
    };
  }

  function onFrame(frame) {
    switch (frame.type) {
      case "welcome":
        backoff = FIRST_BACKOFF_MS;
        if (following) sendSubscribe();
        break;
      case "subscribed":
        // Only the conversation followed now (not one left a moment ago) opens the outbox.
        if (following && frame.conversation_id === following.id) { subscribed = true; flush(); }
        break;
      case "ack":
        outbox.remove(frame.client_id);
        break;
      case "nack":
        if (isPermanent(frame)) outbox.remove(frame.client_id);
        break;
    }
    emit(frame.type, frame);
    emit("*", frame);
  }

  function sendSubscribe() {
    send({ type: "subscribe", conversation_id: following.id, after_seq: following.afterSeq() });
  }

  // Follows one conversation: subscribes now if connected, and again after every reconnect,
  // each time from the highest seq held (afterSeq()), so nothing is missed or sent twice.
  function subscribe(id, afterSeq = () => 0) {
    following = { id, afterSeq };
    subscribed = false;
    if (isOpen()) sendSubscribe();
  }

  function unsubscribe(id) {
    send({ type: "unsubscribe", conversation_id: id });
    if (following?.id === id) forget();
  }

  // Stops following without telling the server (the conversation is out of reach anyway).
  function forget() {
    following = null;
    subscribed = false;
  }

  // Sends every waiting message (again): safe, the server acks a known client_id with its
  // original seq instead of storing it twice. Messages without a conversation of their own
  // go to the followed one.
  function flush() {
    if (!subscribed || !isOpen()) return;
    for (const item of outbox.items()) {
      const conversationId = item.conversation_id ?? following?.id;
      if (conversationId === undefined || conversationId === null) continue;
      const frame = { type: "send", conversation_id: conversationId, client_id: item.client_id, body: item.body };
      if ("internal" in item) frame.internal = item.internal;
      frame.attachment_id = item.attachment_id || null;
      send(frame);
    }
  }

  // Typing and read receipts need a subscription; without one they are not sent.
  const typing = (conversationId, isTyping) => subscribed && send({ type: "typing", conversation_id: conversationId, typing: isTyping });
  const read = (conversationId, seq) => subscribed && send({ type: "read", conversation_id: conversationId, seq });

  if (heartbeat) {
    // A silent connection is a dead one: ping, and reconnect when nothing comes back.
    setInterval(() => {
      if (!isOpen()) return;
      if (Date.now() - lastHeard > heartbeat.deadMs) { socket.close(); return; }
      send({ type: "ping" });
    }, heartbeat.everyMs);
  }
  if (reconnectWhenOnline) {
    window.addEventListener("online", () => { if (!socket) { backoff = FIRST_BACKOFF_MS; connect(); } });
  }

  return {
    on, connect, send, subscribe, unsubscribe, forget, flush, typing, read, outbox, isOpen,
    close: () => socket?.close(),
    following: () => following?.id ?? null,
    get subscribed() { return subscribed; },
  };
}
