// Channels (admins only), in the sidebar list and the middle pane: each channel's settings
// as fields, and its secrets write-only (never shown, only whether they are set).
import { el, byId } from "../shared/dom.js";
import { api } from "./api.js";
import { t } from "./i18n.js";

const CHANNEL_SECRETS = { wechat: ["token", "app_secret"], social: ["secret"], sms: ["webhook_secret", "api_key"], cti: ["token"], email: ["password"] };
// Each kind's settings, edited as fields; numbers and JSON objects are typed on save.
const CHANNEL_SETTINGS = {
  wechat: ["app_id", "api_base", "welcome"], social: ["outbound_url"], sms: ["provider_url", "body_template", "sender"], cti: ["lines"],
  email: ["imap_host", "imap_port", "smtp_host", "smtp_port", "address", "username", "smtp_username", "poll_seconds"],
};
const NUMBER_SETTINGS = ["imap_port", "smtp_port", "poll_seconds"];
const JSON_SETTINGS = ["lines"];

export async function renderChannels(selected, message) {
  const list = byId("list");
  if (!list) return;
  const channels = await api("GET", "/channels");
  byId("views")?.replaceChildren(el("button", { class: "view active", id: "channel-new", onclick: () => editChannel(null) }, t.newChannel));
  list.replaceChildren(...channels.map((c) => el("div", { class: "conv-item" + (selected === `${c.kind}/${c.name}` ? " active" : ""), "data-channel": `${c.kind}/${c.name}`, onclick: () => editChannel(c) },
    el("div", { class: "line" }, el("span", { class: "subject" }, `${c.kind} / ${c.name}`), el("span", { class: "badge " + (c.enabled ? "open" : "closed") }, c.enabled ? t.enabled : "—")),
    el("div", { class: "line" }, el("span", {}, c.webhook_path)))));
  byId("sop-panel")?.replaceChildren();
  byId("profile")?.replaceChildren();
  byId("conversation").replaceChildren(el("p", { class: "placeholder" }, t.pick));
  if (selected) editChannel(channels.find((c) => `${c.kind}/${c.name}` === selected) || null, message);
}

function editChannel(channel, message = "") {
  const pane = byId("conversation");
  pane.classList.add("form-pane");
  const c = channel || { kind: "wechat", name: "", enabled: true, settings: {}, secrets_set: [] };
  const kind = el("select", { id: "channel-kind", disabled: channel ? true : null }, ...Object.keys(CHANNEL_SECRETS).map((k) => el("option", { value: k, selected: c.kind === k }, k)));
  const name = el("input", { id: "channel-name", value: c.name, disabled: channel ? true : null });
  const enabled = el("input", { id: "channel-enabled", type: "checkbox", checked: c.enabled ? true : null });
  const settingsBox = el("div", { class: "form-grid", id: "channel-settings" });
  const fillSettings = () => settingsBox.replaceChildren(...CHANNEL_SETTINGS[kind.value].flatMap((key) => {
    const value = c.settings?.[key];
    const shown = value === undefined || value === null ? "" : typeof value === "object" ? JSON.stringify(value) : String(value);
    return [el("label", { for: `setting-${key}` }, t.settingNames[key] ?? key), el("input", { id: `setting-${key}`, "data-setting": key, value: shown })];
  }));
  const readSettings = () => {
    const settings = {};
    for (const input of settingsBox.querySelectorAll("input[data-setting]")) {
      const key = input.dataset.setting;
      const raw = input.value.trim();
      if (!raw) continue;
      settings[key] = NUMBER_SETTINGS.includes(key) ? Number(raw) : JSON_SETTINGS.includes(key) ? JSON.parse(raw) : raw;
    }
    return settings;
  };
  const secretsBox = el("div", { id: "channel-secrets" });
  const fillSecrets = () => secretsBox.replaceChildren(...CHANNEL_SECRETS[kind.value].map((secret) => el("label", { style: "display:block;margin:6px 0" }, `${secret}: `,
    el("input", { type: "password", "data-secret": secret, autocomplete: "off", placeholder: c.secrets_set.includes(secret) ? t.secretSet : t.secretUnset }))));
  kind.addEventListener("change", () => { fillSecrets(); fillSettings(); });
  fillSecrets();
  fillSettings();
  const status = el("p", { id: "channel-status", class: "missing" }, message);
  const save = el("button", { class: "primary", id: "channel-save", onclick: async () => {
    try {
      const secrets = {};
      for (const input of secretsBox.querySelectorAll("input[data-secret]")) if (input.value) secrets[input.dataset.secret] = input.value;
      const saved = await api("PUT", `/channels/${kind.value}/${encodeURIComponent(name.value.trim())}`, { enabled: enabled.checked, settings: readSettings(), secrets });
      renderChannels(`${saved.kind}/${saved.name}`, `${t.saved}: ${saved.kind}/${saved.name}`);
    } catch (error) { status.textContent = error.message; }
  } }, t.save);
  pane.replaceChildren(el("h2", {}, channel ? `${c.kind} / ${c.name}` : t.newChannel),
    el("label", {}, "kind ", kind), " ", el("label", {}, "name ", name), " ", el("label", {}, enabled, ` ${t.enabled}`),
    el("p", {}, `${t.webhook}: ${c.webhook_path || "—"}`), settingsBox, secretsBox, save, status);
}
