// In-browser calls and the whiteboard in the console (shared/call.js, shared/board.js): a
// floating panel (#media-call, outside the re-drawn shell, so a call survives switching
// screens) with the call in progress and the prompt for a learner's ringing call (accepting
// opens the conversation too), and the whiteboard panel (#board-panel). When a call ends
// while its conversation's board has something on it, a PNG snapshot of the board is
// attached to the conversation.
import { el } from "../shared/dom.js";
import { createCalls } from "../shared/call.js";
import { createBoard, BOARD_TEXT } from "../shared/board.js";
import { newClientId } from "../shared/socket.js";
import { CALL_TEXT } from "../shared/call-text.js";
import { api, upload } from "./api.js";
import { lang } from "./i18n.js";
import { me } from "./staff.js";
import { rt } from "./realtime.js";
import { toast } from "./toast.js";
import { emit } from "./hub.js";

const texts = () => CALL_TEXT[lang];
const dock = el("div", { id: "media-call", class: "media-call" });
const panel = el("div", { id: "media-call-panel" });
const prompts = el("div", { id: "media-call-prompts" });
dock.append(prompts, panel);
const boardPanel = el("div", { id: "board-panel", class: "board-panel" });
document.body.append(dock, boardPanel);

const board = createBoard({ rt, container: boardPanel, texts: BOARD_TEXT[lang], onAttach: attachSnapshot });

// Attaches a PNG of the board to the conversation, as a message from this agent.
async function attachSnapshot(blob, conversationId) {
  try {
    const uploaded = await upload(`/conversations/${conversationId}/attachments?filename=whiteboard.png`, blob, { contentType: "image/png" });
    rt.outbox.push({ client_id: newClientId(), conversation_id: conversationId, body: "📎 whiteboard.png", internal: false, attachment_id: uploaded.id });
    rt.flush();
  } catch (error) { toast(error.message, "error"); }
}

// Opens the conversation's whiteboard.
export function openBoard(conversationId) {
  board.open(conversationId);
}

// Another conversation was opened: a board of a conversation no longer followed would stop
// receiving changes, so it closes (it reloads whole when opened again).
export function closeBoardUnless(conversationId) {
  if (board.isOpen() && board.conversation() !== conversationId) board.close();
}

const calls = createCalls({
  api: { request: (method, path, body) => api(method, path, body) },
  rt,
  container: panel,
  texts,
  side: "agent",
  me: () => me?.id ?? null,
  onEnded: (call) => {
    if (board.conversation() === call.conversation_id && board.count() > 0) board.attach().catch(() => {});
  },
  onIncoming: (call, ringsForMe) => {
    prompts.querySelector(`[data-call="${call.id}"]`)?.remove();
    if (!ringsForMe) return;
    const T = texts();
    prompts.append(el("div", { class: "call-incoming", "data-call": call.id },
      el("strong", {}, `${call.media === "video" ? "📹" : "📞"} ${T.incoming} · #${call.conversation_id}`), " ",
      el("button", { class: "primary call-accept", onclick: async () => {
        emit("conversation:open", call.conversation_id);
        try { await calls.accept(call); } catch (error) { toast(error.message, "error"); }
        prompts.querySelector(`[data-call="${call.id}"]`)?.remove();
      } }, T.accept), " ",
      el("button", { class: "call-decline", onclick: async () => {
        try { await calls.decline(call); } catch (error) { toast(error.message, "error"); }
        prompts.querySelector(`[data-call="${call.id}"]`)?.remove();
      } }, T.decline)));
  },
});

// Rings the learner of a conversation.
export async function startCall(conversationId, media) {
  try { await calls.start(conversationId, media); } catch (error) { toast(error.message, "error"); }
}

export const callTexts = texts;
