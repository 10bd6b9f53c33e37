// Incoming calls (#calls, above everything): each ringing or answered call pops up with the
// caller, the line and their recent conversations; one click opens its conversation.
import { el, byId } from "../shared/dom.js";
import { t } from "./i18n.js";
import { openConversation } from "./conversation.js";

export function showCall(popup) {
  const call = popup.call;
  const bar = byId("calls");
  if (!bar) return;
  bar.querySelector(`[data-call="${CSS.escape(call.call_id)}"]`)?.remove();
  if (call.state === "ended" || call.state === "missed") return;
  const item = el("div", { class: "call", "data-call": call.call_id, "data-state": call.state },
    el("strong", {}, `${call.state === "ringing" ? t.callRinging : t.callAnswered}: ${call.caller}`), " ",
    popup.contact_name ? `${popup.contact_name} · ` : "", `${t.line} ${call.line} `,
    el("button", { class: "primary", onclick: () => openConversation(call.conversation_id) }, t.openCall),
    el("span", { class: "recent" }, ...popup.recent.map((c) => el("a", { href: "#", onclick: (e) => { e.preventDefault(); openConversation(c.id); } }, ` #${c.id} ${c.channel} ${t.status[c.status]}`))),
    el("button", { onclick: () => item.remove() }, "×"));
  bar.append(item);
}
