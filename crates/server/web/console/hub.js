// How the console's screens talk without a shared state object: a tiny event hub, and which
// screen the window shows ("inbox", "kb", "kpis", "users", "channels"; set by main.js only).
//
// Events (emitted synchronously, so the DOM is ready when emit() returns):
//   "inbox:enter"        show the inbox (if another screen is shown) before a conversation opens
//   "inbox:stale"        a conversation changed here: refresh the lists soon, the queues now
//   "inbox:render"       re-render the lists (e.g. the highlighted row)
//   "team:stale"         refetch the team (counts of open conversations changed)
//   "conversation:open" (id) open a conversation (e.g. a call was accepted)
//   "go" (screen, arg)   switch to a screen, e.g. ("kb", articleId)

const listeners = new Map();

export function on(event, fn) {
  if (!listeners.has(event)) listeners.set(event, []);
  listeners.get(event).push(fn);
}

export function emit(event, ...args) {
  for (const fn of listeners.get(event) || []) fn(...args);
}

let current = "inbox";
export const screen = () => current;
export function setScreen(name) {
  current = name;
}
