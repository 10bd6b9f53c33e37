// Users (admins only), in the sidebar list and the middle pane: create a user, change their
// role, tier, skills, teams and capacity, reset a password, deactivate.
import { el, byId } from "../shared/dom.js";
import { api } from "./api.js";
import { t } from "./i18n.js";
import { setUsers } from "./staff.js";

export async function renderUsers(selected, message) {
  const list = byId("list");
  if (!list) return;
  const users = await api("GET", "/users");
  setUsers(users);
  byId("views")?.replaceChildren(el("button", { class: "view active", id: "user-new", onclick: () => editUser(null) }, t.newUser));
  list.replaceChildren(...users.map((u) => el("div", { class: "conv-item" + (selected === u.id ? " active" : ""), "data-user": u.id, tabindex: 0, role: "button",
    onclick: () => editUser(u), onkeydown: (e) => { if (e.key === "Enter") editUser(u); } },
    el("div", { class: "line" }, el("span", { class: "subject" }, u.display_name), el("span", { class: "badge " + (u.active ? "open" : "closed") }, u.active ? t.active : "—")),
    el("div", { class: "line meta" }, el("span", {}, `${u.email} · ${t.roles[u.role] ?? u.role} · T${u.tier}`)))));
  byId("sop-panel")?.replaceChildren();
  byId("profile")?.replaceChildren();
  byId("conversation").replaceChildren(el("p", { class: "placeholder" }, t.pick));
  if (selected) editUser(users.find((u) => u.id === selected) || null, message);
}

function editUser(user, message = "") {
  const pane = byId("conversation");
  pane.classList.add("form-pane");
  const u = user || { email: "", display_name: "", role: "agent", tier: 1, skills: [], teams: [], max_concurrent: 5, active: true };
  const input = (id, value, attrs = {}) => el("input", { id, value: value ?? "", ...attrs });
  const email = input("user-email", u.email, { type: "email", disabled: user ? true : null, autocomplete: "off" });
  const name = input("user-name", u.display_name);
  const role = el("select", { id: "user-role" }, ...["agent", "supervisor", "admin"].map((r) => el("option", { value: r, selected: u.role === r }, t.roles[r])));
  const tier = el("select", { id: "user-tier" }, ...[1, 2, 3].map((n) => el("option", { value: n, selected: u.tier === n }, `T${n}`)));
  const skills = input("user-skills", (u.skills || []).join(", "));
  const teams = input("user-teams", (u.teams || []).join(", "));
  const capacity = input("user-capacity", u.max_concurrent, { type: "number", min: 0, max: 100 });
  const active = el("input", { id: "user-active", type: "checkbox", checked: u.active ? true : null });
  // A new account starts as a trainee unless certified here (trained elsewhere).
  const certified = el("input", { id: "user-certified", type: "checkbox" });
  const password = input("user-password", "", { type: "password", autocomplete: "new-password", placeholder: user ? t.resetPassword : t.newPassword });
  const status = el("p", { id: "user-status", class: "missing", role: "status" }, message);
  const split = (text) => text.split(/[,，]/).map((x) => x.trim()).filter(Boolean);
  const save = el("button", { class: "primary", id: "user-save", onclick: async () => {
    const body = { display_name: name.value.trim() || null, role: role.value, tier: Number(tier.value), skills: split(skills.value), teams: split(teams.value), max_concurrent: Number(capacity.value) };
    if (password.value) body.password = password.value;
    try {
      const saved = user ? await api("PATCH", `/users/${user.id}`, { ...body, active: active.checked }) : await api("POST", "/users", { ...body, email: email.value.trim(), password: password.value, certified: certified.checked });
      renderUsers(saved.id, `${t.saved}: ${saved.display_name}`);
    } catch (error) { status.textContent = error.message; }
  } }, t.save);
  const row = (label, node) => [el("label", { for: node.id }, label), node];
  pane.replaceChildren(el("h2", {}, user ? u.display_name : t.newUser),
    el("div", { class: "form-grid" }, ...row(t.email, email), ...row(t.displayName, name), ...row(t.role, role), ...row(t.tierLabel, tier), ...row(t.skills, skills),
      ...row(t.teams, teams), ...row(t.capacity, capacity), ...(user ? row(t.active, active) : row(t.certifiedNow, certified)), ...row(user ? t.resetPassword : t.newPassword, password)),
    el("p", {}, save), status);
}
