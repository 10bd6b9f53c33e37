// The conversation's shared whiteboard (docs/realtime.md: board_join, board_op, board), in
// the widget and the console, in and outside calls. The server numbers every change; this page
// applies changes in that order (its own included, when they come back numbered), so every
// page converges on the same board. A gap in the numbers, a reconnect or a resync reloads the
// whole board. What this page drew and the server has not numbered yet is drawn on top
// meanwhile ("pending").
//
// Tools: pen, line, arrow, rectangle, ellipse, text (typed in the toolbar, placed with a
// click), pointer (others see where you point), undo (of this page's own changes), clear. The
// drawing surface is a canvas in board units (1600 × 1000) scaled to its box. Its holder's data
// attributes (data-seq, data-count, data-digest) say what it shows.
import { el } from "./dom.js";

const WIDTH = 1600, HEIGHT = 1000;
const COLORS = ["#1d4ed8", "#dc2626", "#16a34a", "#111827", "#f59e0b"];
const POINTER_EVERY_MS = 100;

export const BOARD_TEXT = {
  zh: { title: "白板", pen: "画笔", line: "直线", arrow: "箭头", rect: "矩形", ellipse: "椭圆", text: "文字", pointer: "指示", undo: "撤销", clear: "清空", close: "关闭", attach: "附到会话", textPlaceholder: "输入文字后点击白板放置" },
  en: { title: "Whiteboard", pen: "Pen", line: "Line", arrow: "Arrow", rect: "Rectangle", ellipse: "Ellipse", text: "Text", pointer: "Point", undo: "Undo", clear: "Clear", close: "Close", attach: "Attach to conversation", textPlaceholder: "Type, then click the board to place it" },
};

function newId() {
  return (globalThis.crypto?.randomUUID ? crypto.randomUUID() : Date.now().toString(36) + Math.random().toString(36).slice(2)).replace(/[^A-Za-z0-9_-]/g, "").slice(0, 32);
}

// options: rt (shared/socket.js), container, texts (BOARD_TEXT[lang]), onAttach(blob) (optional)
export function createBoard({ rt, container, texts, onAttach = null }) {
  let conversationId = null;
  let seq = 0;
  let elements = new Map();   // id -> { seq, element }
  let pending = new Map();    // id -> element | null (a delete), sent and not yet numbered
  let tool = "pen", color = COLORS[0];
  let drawing = null;         // the element being drawn
  const undo = [];            // inverse changes of this page's own changes
  const pointers = new Map(); // who -> { x, y, at }
  let lastPointer = 0;

  const canvas = el("canvas", { width: WIDTH, height: HEIGHT, class: "board-canvas" });
  const ctx = canvas.getContext("2d");
  const textInput = el("input", { class: "board-text", maxlength: 500, placeholder: texts.textPlaceholder });
  const holder = el("div", { class: "board", "data-seq": "0", "data-count": "0", "data-digest": "" });

  function toolbar() {
    const button = (name, label) => el("button", { type: "button", class: "board-tool" + (tool === name ? " active" : ""), "data-tool": name, onclick: () => { tool = name; render(); } }, label);
    return el("div", { class: "board-toolbar" },
      el("strong", {}, texts.title), " ",
      ...["pen", "line", "arrow", "rect", "ellipse", "text", "pointer"].map((name) => button(name, texts[name])),
      ...COLORS.map((c) => el("button", { type: "button", class: "board-color" + (c === color ? " active" : ""), style: `background:${c}`, "data-color": c, "aria-label": c, onclick: () => { color = c; render(); } })),
      tool === "text" ? textInput : null,
      el("button", { type: "button", class: "board-undo", onclick: undoLast }, texts.undo),
      el("button", { type: "button", class: "board-clear", onclick: clear }, texts.clear),
      onAttach ? el("button", { type: "button", class: "board-attach", onclick: attach }, "📎 " + texts.attach) : null,
      el("button", { type: "button", class: "board-close", onclick: close }, "×"));
  }

  function render() {
    holder.replaceChildren(toolbar(), canvas);
    draw();
  }

  // ---- drawing ----------------------------------------------------------------------
  function shown() {
    const all = new Map();
    for (const [id, entry] of elements) all.set(id, entry.element);
    for (const [id, element] of pending) { if (element) all.set(id, element); else all.delete(id); }
    return all;
  }

  function draw() {
    ctx.clearRect(0, 0, WIDTH, HEIGHT);
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, WIDTH, HEIGHT);
    for (const element of shown().values()) paint(element);
    if (drawing) paint(drawing.element);
    const now = Date.now();
    for (const [who, at] of pointers) {
      if (now - at.at > 3000) { pointers.delete(who); continue; }
      ctx.fillStyle = "rgba(220,38,38,.8)";
      ctx.beginPath(); ctx.arc(at.x, at.y, 10, 0, Math.PI * 2); ctx.fill();
      ctx.font = "22px sans-serif"; ctx.fillText(at.name || "", at.x + 14, at.y - 8);
    }
    holder.dataset.seq = String(seq);
    holder.dataset.count = String(elements.size);
    holder.dataset.digest = [...elements.entries()].map(([id, entry]) => `${id}@${entry.seq}`).sort().join(",");
  }

  function paint(element) {
    ctx.strokeStyle = ctx.fillStyle = element.color;
    ctx.lineWidth = element.width || 2;
    ctx.lineCap = ctx.lineJoin = "round";
    ctx.beginPath();
    switch (element.type) {
      case "stroke":
        element.points.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
        if (element.points.length === 1) ctx.lineTo(element.points[0][0] + 0.1, element.points[0][1]);
        ctx.stroke();
        break;
      case "line":
      case "arrow": {
        const [x1, y1] = element.from, [x2, y2] = element.to;
        ctx.moveTo(x1, y1); ctx.lineTo(x2, y2); ctx.stroke();
        if (element.type === "arrow") {
          const angle = Math.atan2(y2 - y1, x2 - x1), head = 10 + element.width * 3;
          ctx.beginPath(); ctx.moveTo(x2, y2);
          ctx.lineTo(x2 - head * Math.cos(angle - 0.5), y2 - head * Math.sin(angle - 0.5));
          ctx.lineTo(x2 - head * Math.cos(angle + 0.5), y2 - head * Math.sin(angle + 0.5));
          ctx.closePath(); ctx.fill();
        }
        break;
      }
      case "rect":
        ctx.strokeRect(element.x, element.y, element.w, element.h);
        break;
      case "ellipse":
        ctx.ellipse(element.x + element.w / 2, element.y + element.h / 2, Math.abs(element.w / 2), Math.abs(element.h / 2), 0, 0, Math.PI * 2);
        ctx.stroke();
        break;
      case "text":
        ctx.font = `${element.size}px system-ui, 'Noto Sans CJK SC', sans-serif`;
        ctx.fillText(element.text, element.x, element.y);
        break;
    }
  }

  // ---- input ------------------------------------------------------------------------
  function at(event) {
    const box = canvas.getBoundingClientRect();
    const round = (v) => Math.round(v * 10) / 10;
    return [round(((event.clientX - box.left) / box.width) * WIDTH), round(((event.clientY - box.top) / box.height) * HEIGHT)];
  }

  canvas.addEventListener("pointerdown", (event) => {
    const point = at(event);
    if (tool === "pointer") return;
    if (tool === "text") {
      const text = textInput.value.trim();
      if (!text) { textInput.focus(); return; }
      put(newId(), { type: "text", x: point[0], y: point[1], text, color, size: 36 });
      textInput.value = "";
      return;
    }
    canvas.setPointerCapture?.(event.pointerId);
    const width = 4;
    const element = tool === "pen" ? { type: "stroke", points: [point], color, width }
      : tool === "line" || tool === "arrow" ? { type: tool, from: point, to: point, color, width }
      : { type: tool, x: point[0], y: point[1], w: 0, h: 0, color, width };
    drawing = { id: newId(), element, start: point };
    draw();
  });
  canvas.addEventListener("pointermove", (event) => {
    const point = at(event);
    const now = Date.now();
    if (tool === "pointer" && now - lastPointer > POINTER_EVERY_MS && conversationId) {
      lastPointer = now;
      rt.send({ type: "board_op", conversation_id: conversationId, op: { kind: "pointer", x: point[0], y: point[1] } });
    }
    if (!drawing) return;
    const element = drawing.element;
    if (element.type === "stroke") { if (element.points.length < 2000) element.points.push(point); }
    else if (element.type === "line" || element.type === "arrow") element.to = point;
    else { element.w = point[0] - drawing.start[0]; element.h = point[1] - drawing.start[1]; }
    draw();
  });
  const finish = () => {
    if (!drawing) return;
    const { id, element } = drawing;
    drawing = null;
    if (element.type === "rect" || element.type === "ellipse") {
      // Stored with a positive size.
      if (element.w < 0) { element.x += element.w; element.w = -element.w; }
      if (element.h < 0) { element.y += element.h; element.h = -element.h; }
    }
    put(id, element);
  };
  canvas.addEventListener("pointerup", finish);
  canvas.addEventListener("pointercancel", finish);

  // ---- changes ----------------------------------------------------------------------
  function send(op) {
    if (conversationId) rt.send({ type: "board_op", conversation_id: conversationId, op });
  }

  function put(id, element, remember = true) {
    if (remember) {
      const before = shown().get(id);
      undo.push(before ? { kind: "put", id, element: before } : { kind: "delete", id });
    }
    pending.set(id, element);
    send({ kind: "put", id, element });
    draw();
  }

  function remove(id, remember = true) {
    const before = shown().get(id);
    if (!before) return;
    if (remember) undo.push({ kind: "put", id, element: before });
    pending.set(id, null);
    send({ kind: "delete", id });
    draw();
  }

  function undoLast() {
    const inverse = undo.pop();
    if (!inverse) return;
    if (inverse.kind === "put") put(inverse.id, inverse.element, false);
    else if (inverse.kind === "delete") remove(inverse.id, false);
    else if (inverse.kind === "restore") inverse.elements.forEach(([id, element]) => put(id, element, false));
  }

  function clear() {
    const all = [...shown().entries()];
    if (!all.length) return;
    undo.push({ kind: "restore", elements: all });
    pending = new Map();
    send({ kind: "clear" });
  }

  // A numbered change from the server (this page's own included).
  function apply(frame) {
    const op = frame.op;
    if (frame.seq === null || frame.seq === undefined) {
      if (op.kind === "pointer") { pointers.set(`${frame.from.kind}-${frame.from.id}`, { x: op.x, y: op.y, at: Date.now(), name: frame.from.name }); draw(); }
      return;
    }
    if (frame.seq <= seq) return;                 // already applied (a reload crossed it)
    if (frame.seq > seq + 1) { join(); return; }  // missed some: load the whole board
    seq = frame.seq;
    // From here on the server's order decides this element (a change of ours still in flight
    // comes back numbered later and applies then).
    if (op.id) pending.delete(op.id);
    if (op.kind === "put") {
      elements.set(op.id, { seq: frame.seq, element: op.element });
    } else if (op.kind === "delete") {
      elements.delete(op.id);
    } else if (op.kind === "clear") {
      elements = new Map();
    }
    draw();
  }

  function join() {
    if (conversationId) rt.send({ type: "board_join", conversation_id: conversationId });
  }

  rt.on("board_state", (frame) => {
    if (frame.conversation_id !== conversationId) return;
    seq = frame.seq;
    elements = new Map(frame.elements.map((entry) => [entry.id, { seq: entry.seq, element: entry.element }]));
    draw();
  });
  rt.on("board", (frame) => { if (frame.conversation_id === conversationId) apply(frame); });
  rt.on("error", (frame) => {
    // A refused change: what it drew goes, the board is reloaded.
    if (frame.board === conversationId) { pending = new Map(); join(); }
  });
  // After a reconnect or a resync the board may have moved on without this page.
  rt.on("subscribed", (frame) => { if (frame.conversation_id === conversationId) join(); });
  rt.on("resync", join);
  setInterval(() => { if (pointers.size) draw(); }, 1000);

  function open(id) {
    if (conversationId !== id) { seq = 0; elements = new Map(); pending = new Map(); undo.length = 0; }
    conversationId = id;
    container.replaceChildren(holder);
    render();
    join();
  }

  function close() {
    container.replaceChildren();
    conversationId = null;
  }

  async function snapshot() {
    draw();
    return new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
  }

  async function attach() {
    const blob = await snapshot();
    if (blob && onAttach) await onAttach(blob, conversationId);
  }

  return { open, close, snapshot, attach, isOpen: () => conversationId !== null, conversation: () => conversationId, count: () => shown().size };
}
