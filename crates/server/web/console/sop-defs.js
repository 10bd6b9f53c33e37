// The SOP definitions (loaded at sign-in, reloaded after an edit) and how their step and
// question ids read in the agent's language: for the SOP panel, the escalation summary and
// the server's refusals shown in toasts.
import { api } from "./api.js";
import { lang, t } from "./i18n.js";

let sops = [];

export const allSops = () => sops;

export async function loadSops(fallback = []) {
  sops = await api("GET", "/sops").catch(() => fallback);
  return sops;
}

// A title or label: one string, or { zh, en }.
export const sopText = (x) => (typeof x === "string" ? x : x?.[lang]);

export function sopLabel(stepId, questionId) {
  for (const sop of sops || []) {
    const step = sop.steps?.find((s) => s.id === stepId);
    if (!step) continue;
    if (!questionId) return sopText(step.title);
    const question = step.questions?.find((q) => q.id === questionId);
    if (question) return `${sopText(step.title)} · ${sopText(question.label)}`;
  }
  return null;
}

// The server's SOP refusals list step and question ids ("questions.device"): the agent
// reads them as the SOP's own labels, in their language.
export function localiseIds(text) {
  const match = /SOP.*:\s*([a-z0-9_.,\s-]+)$/i.exec(text);
  if (!match) return text;
  const items = match[1].split(",").map((item) => item.trim()).filter(Boolean).map((item) => { const [step, q] = item.split("."); return sopLabel(step, q) ?? item; });
  return `${t.missing}: ${items.join("、")}`;
}
