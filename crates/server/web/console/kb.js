// The knowledge base screen: articles in the sidebar (#list, filterable), one article's
// editor with its versions in the middle pane, and in the side pane (#profile) what to work
// on — learned wordings to accept or reject, questions nobody answered, searches without
// results, top searches and self-service deflections.
import { el, byId } from "../shared/dom.js";
import { api } from "./api.js";
import { lang, t } from "./i18n.js";
import { toast } from "./toast.js";

export async function renderKb(selectedId, message) {
  const list = byId("list");
  const pane = byId("conversation");
  const side = byId("profile");
  if (!list || !pane) return;
  const articles = await api("GET", "/kb/articles");
  byId("views")?.replaceChildren(el("button", { class: "view active", id: "kb-new", onclick: () => editArticle(null) }, t.newArticle));
  const filter = el("input", { id: "kb-filter", placeholder: t.kbFilter, style: "width:100%;margin:6px 0" });
  const items = el("div", { id: "kb-list" });
  const fill = () => items.replaceChildren(...articles.filter((a) => !filter.value || (a.title + a.id).toLowerCase().includes(filter.value.toLowerCase())).map((a) =>
    el("div", { class: "conv-item" + (a.id === selectedId ? " active" : ""), "data-article": a.id, onclick: () => editArticle(a) },
      el("div", { class: "line" }, el("span", { class: "subject" }, a.title), el("span", { class: "badge " + a.visibility }, t.vis[a.visibility])),
      el("div", { class: "line" }, el("span", {}, `${a.id} · ${a.lang} · v${a.version}`), el("span", {}, `👁 ${a.views} · 👍 ${a.helpful_yes} · 👎 ${a.helpful_no}`)))));
  filter.addEventListener("input", fill);
  fill();
  list.replaceChildren(filter, items);
  pane.replaceChildren(el("p", { class: "placeholder" }, t.pick));
  byId("sop-panel")?.replaceChildren();
  try {
    const [stats, learned, gaps] = await Promise.all([api("GET", "/kb/search-stats"), api("GET", "/kb/learned-questions"), api("GET", "/kb/gaps")]);
    // An editor's decision on a learner's wording: accepted ones teach the bot at once.
    const decide = async (question, verdict) => {
      try {
        await api("POST", `/kb/learned-questions/${question.id}/${verdict}`);
        if (verdict === "accept") toast(t.accepted);
        renderKb(selectedId);
      } catch (error) { toast(error.message, "error"); }
    };
    const learnedList = learned.length ? learned.map((q) => el("li", { "data-learned": q.id },
      el("div", {}, `“${q.question}”`), el("div", { class: "muted" }, `→ ${q.article_title} (${q.article_id})`),
      el("button", { class: "primary accept", onclick: () => decide(q, "accept") }, t.accept), " ",
      el("button", { class: "reject", onclick: () => decide(q, "reject") }, t.reject))) : [el("li", { class: "muted" }, t.noLearned)];
    side?.replaceChildren(el("h3", {}, t.learned), el("ul", { id: "kb-learned" }, ...learnedList),
      el("h3", {}, t.gaps), el("ul", { id: "kb-gaps" }, ...gaps.map((g) => el("li", {}, `${g.examples.join(" / ")} — ${t.gapCount(g.count, g.searches, g.bot)}`
        + (g.nearest_article ? ` · ${t.nearest}: ${g.nearest_article}` : "")))),
      el("h3", {}, t.toWrite), el("ul", { id: "kb-zero" }, ...stats.zero_result_queries.map((q) => el("li", {}, `${q.query} (${q.searches})`))),
      el("h3", {}, t.topSearches), el("ul", { id: "kb-top" }, ...stats.top_queries.map((q) => el("li", {}, `${q.query} (${q.searches}, ${q.results})`))),
      el("p", {}, `${t.deflections}: ${stats.deflections}`));
  } catch (error) { side?.replaceChildren(); }
  if (selectedId) editArticle(articles.find((a) => a.id === selectedId) || null, message);
}

async function editArticle(article, message = "") {
  const pane = byId("conversation");
  pane.classList.add("form-pane");
  const a = article || { id: "", lang, category: "", title: "", body: "", questions: [], tags: [], visibility: "draft", version: 0 };
  const field = (label, node) => el("label", { class: "question", style: "display:block;margin:6px 0" }, label, el("br"), node);
  const id = el("input", { id: "kb-id", value: a.id, placeholder: t.articleId, disabled: article ? true : null, style: "width:100%" });
  const language = el("select", { id: "kb-lang" }, ...["zh", "en"].map((l) => el("option", { value: l, selected: a.lang === l }, l)));
  const category = el("input", { id: "kb-category", value: a.category, style: "width:100%" });
  const title = el("input", { id: "kb-title", value: a.title, style: "width:100%" });
  const body = el("textarea", { id: "kb-body", rows: 14, style: "width:100%;font-family:monospace" });
  body.value = a.body;
  const questions = el("textarea", { id: "kb-questions", rows: 4, style: "width:100%" });
  questions.value = a.questions.join("\n");
  const tags = el("input", { id: "kb-tags", value: a.tags.join(", "), style: "width:100%" });
  const visibility = el("select", { id: "kb-visibility" }, ...["draft", "published", "internal"].map((v) => el("option", { value: v, selected: a.visibility === v }, t.vis[v])));
  const status = el("p", { id: "kb-status", class: "missing" }, message);
  const save = el("button", { class: "primary", id: "kb-save", onclick: async () => {
    const input = { id: id.value.trim(), lang: language.value, category: category.value.trim(), title: title.value.trim(), body: body.value,
      questions: questions.value.split("\n").map((q) => q.trim()).filter(Boolean), tags: tags.value.split(/[,，]/).map((x) => x.trim()).filter(Boolean), visibility: visibility.value };
    try {
      const saved = await api("PUT", `/kb/articles/${encodeURIComponent(input.id)}`, input);
      renderKb(saved.id, `${t.saved} ${saved.version}`);
    } catch (error) { status.textContent = error.message; }
  } }, t.save);
  const children = [el("h2", {}, article ? `${a.title} · v${a.version}` : t.newArticle), field("ID", id), field(t.lang, language), field(t.category, category), field(t.title, title),
    field(t.body, body), field(t.questions, questions), field(t.tags, tags), field(t.visibility, visibility), save, status];
  if (article) {
    children.push(el("a", { href: `/help/articles/${encodeURIComponent(a.id)}?lang=${a.lang}`, target: "_blank", id: "kb-preview" }, t.preview));
    const versions = await api("GET", `/kb/articles/${encodeURIComponent(a.id)}/versions`).catch(() => []);
    children.push(el("h3", {}, t.versions), el("ol", { id: "kb-versions" }, ...versions.map((v) => el("li", {}, `v${v.version} · ${v.article?.title ?? ""}`))));
  }
  pane.replaceChildren(...children);
}
