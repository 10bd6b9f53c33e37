// The KPI screen, in the middle pane: the report for a date range and a grouping as a table,
// the server-drawn chart of one metric (in the agent's language) and the CSV link.
// Supervisors and admins see every grouping; agents their own row. The chart is an SVG the
// server draws; the CSV is the same report for spreadsheets.
import { el, byId } from "../shared/dom.js";
import { api } from "./api.js";
import { lang, t } from "./i18n.js";
import { me } from "./staff.js";

// One KPI value as people read it: durations in s/m/h, shares in %, ratings to a decimal.
export function formatKpi(key, value) {
  if (value === null || value === undefined) return "—";
  if (key.endsWith("_s")) return value < 90 ? `${Math.round(value)}s` : value < 5400 ? `${Math.round(value / 60)}m` : `${(value / 3600).toFixed(1)}h`;
  if (key.endsWith("rate") || key.endsWith("sla") || key === "csat" || key === "occupancy") return `${Math.round(value * 100)}%`;
  if (key === "average_rating") return value.toFixed(1);
  return String(value);
}

let chosenReport = null;   // the range, grouping and metric last shown (kept between visits)

export async function renderKpis() {
  const pane = byId("conversation");
  if (!pane) return;
  for (const id of ["views", "list", "sop-panel", "profile"]) byId(id)?.replaceChildren();
  const overseer = me.role !== "agent";
  // Without a chosen range the server picks the last seven days of the team's calendar (the
  // browser's date may be another day than the team's), and the pickers show what it chose.
  const chosen = chosenReport || { from: "", to: "", group: "agent", metric: "conversations" };
  const from = el("input", { type: "date", id: "kpi-from", value: chosen.from });
  const to = el("input", { type: "date", id: "kpi-to", value: chosen.to });
  const groups = overseer ? ["agent", "team", "tier", "channel", "category", "course", "hour", "day", "week", "total"] : ["agent"];
  const group = el("select", { id: "kpi-group" }, ...groups.map((g) => el("option", { value: g, selected: chosen.group === g }, t.kpiGroups[g])));
  const charted = ["conversations", "first_response_median_s", "resolution_median_s", "resolution_rate", "one_touch_rate", "reopen_rate", "first_response_sla", "resolution_sla", "csat", "average_rating", "occupancy"];
  const metric = el("select", { id: "kpi-metric" }, ...charted.map((m) => el("option", { value: m, selected: chosen.metric === m }, t.kpiNames[m])));
  const show = el("button", { class: "primary", id: "kpi-show", onclick: () => { chosenReport = { from: from.value, to: to.value, group: group.value, metric: metric.value }; renderKpis(); } }, t.show);
  const range = chosen.from && chosen.to ? { from: chosen.from, to: chosen.to } : {};
  let query = new URLSearchParams({ ...range, group_by: chosen.group }).toString();
  const children = [el("h2", {}, t.kpis), el("div", { class: "kpi-form" }, from, " – ", to, " ", group, " ", metric, " ", show)];
  try {
    const report = await api("GET", `/kpis?${query}`);
    from.value = report.from;
    to.value = report.to;
    query = new URLSearchParams({ from: report.from, to: report.to, group_by: chosen.group }).toString();
    const columns = ["conversations", "handled", "responded", "first_response_median_s", "resolved", "resolution_rate", "resolution_median_s", "one_touch_rate", "reopen_rate", "first_response_sla", "resolution_sla", "rated", "csat", "average_rating", "occupancy"];
    const shown = formatKpi;
    const table = el("table", { id: "kpi-table", class: "kpi-table" },
      el("tr", {}, el("th", {}, t.kpiNames.group), ...columns.map((c) => el("th", {}, t.kpiNames[c]))),
      ...report.rows.map((row) => el("tr", { "data-group": row.group }, el("td", {}, row.name || (row.group === "none" ? t.nobody : row.group)), ...columns.map((c) => el("td", {}, shown(c, row[c]))))));
    children.push(
      el("img", { id: "kpi-chart", alt: t.kpiChart, src: `/api/v1/kpis?${query}&format=svg&metric=${encodeURIComponent(chosen.metric)}&lang=${lang}` }),
      table,
      el("p", {}, el("a", { id: "kpi-csv", href: `/api/v1/kpis?${query}&format=csv` }, t.csv)));
  } catch (error) { children.push(el("p", { class: "missing", id: "kpi-error" }, error.message)); }
  if (overseer) children.push(...await staffingSection());
  pane.classList.add("form-pane");
  pane.replaceChildren(...children);
}

// Tomorrow's staffing plan (supervisors): per hour the forecast, the agents needed (Erlang C),
// those scheduled and the gap, the service level and abandonment the scheduled agents reach.
async function staffingSection() {
  try {
    const plan = await api("GET", "/staffing?date=tomorrow");
    const busy = plan.hours.filter((hour) => hour.forecast > 0 || hour.scheduled > 0);
    const pct = (value) => (value === null || value === undefined ? "—" : `${Math.round(value * 100)}%`);
    return [el("h3", {}, `${t.staffing.title} · ${plan.date}`),
      el("p", { class: "meta" }, t.staffing.assumptions(plan.aht_seconds, Math.round(plan.service_level_target * 100), plan.target_seconds)),
      el("table", { id: "staffing-table", class: "kpi-table" },
        el("tr", {}, ...["hour", "forecast", "needed", "scheduled", "gap", "serviceLevel", "abandon"].map((key) => el("th", {}, t.staffing[key]))),
        ...busy.map((hour) => el("tr", { "data-hour": String(hour.hour), class: hour.gap < 0 ? "short" : "" },
          el("td", {}, `${String(hour.hour).padStart(2, "0")}:00`), el("td", {}, hour.forecast.toFixed(1)), el("td", {}, String(hour.needed)),
          el("td", {}, String(hour.scheduled)), el("td", {}, hour.gap > 0 ? `+${hour.gap}` : String(hour.gap)),
          el("td", {}, pct(hour.service_level)), el("td", {}, pct(hour.with_abandonment?.abandon_probability)))))];
  } catch (error) {
    return [el("p", { class: "missing", id: "staffing-error" }, error.message)];
  }
}
