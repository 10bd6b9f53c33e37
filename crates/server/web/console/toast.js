// Messages for the agent appear in a toast in their language, never as a browser alert.
import { el } from "../shared/dom.js";
import { localiseIds } from "./sop-defs.js";

let toastTimer = null;

export function toast(message, kind = "info") {
  document.querySelector(".toast")?.remove();
  const box = el("div", { class: "toast " + kind, role: "status", id: "toast" }, localiseIds(String(message)));
  document.body.append(box);
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => box.remove(), 6000);
}
