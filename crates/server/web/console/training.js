// The training screen (every staff member), in the middle pane: certifications, a tier's
// four modules with their lessons (KB articles by category, SOP steps, written lessons),
// quizzes with the right answers shown after submitting, practice with a simulated learner,
// and for supervisors the team's certifications with a grant form.
import { el, byId } from "../shared/dom.js";
import { api } from "./api.js";
import { lang, t } from "./i18n.js";
import { screen } from "./hub.js";
import { me } from "./staff.js";
import { toast } from "./toast.js";

// The tier shown (kept across redraws) and the open practice.
let shownTier = null;
let practiceId = null;
let articleTitles = null;

const q = () => `lang=${lang}`;

function lesson(l) {
  const body = [];
  if (l.body) body.push(el("p", {}, l.body));
  if (l.articles.length) body.push(el("ul", {}, ...l.articles.map((a) => el("li", {}, el("a", { href: `/help/articles/${encodeURIComponent(a.id)}`, target: "_blank", rel: "noopener" }, a.title)))));
  if (l.steps.length) body.push(el("ol", {}, ...l.steps.map((s) => el("li", {}, s))));
  return el("details", { class: "lesson" }, el("summary", {}, l.title), ...body);
}

function quiz(attempt, onDone) {
  const tr = t.training;
  const form = el("form", { id: "training-quiz", "data-attempt": String(attempt.id) },
    el("h3", {}, `${tr.quiz} · T${attempt.tier} · ${tr.passMark} ${Math.round(attempt.pass_mark * 100)}%`),
    ...attempt.questions.map((question, n) => el("fieldset", { "data-question": String(n) }, el("legend", {}, `${n + 1}. ${question.prompt}`),
      ...question.options.map((option, o) => el("label", { "data-option": String(o) }, el("input", { type: "radio", name: `q${n}`, value: String(o) }), " ", option)))),
    el("p", {}, el("button", { class: "primary", id: "quiz-submit", type: "submit" }, tr.submit)),
    el("p", { id: "quiz-result" }));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const answers = attempt.questions.map((_, n) => Number(form.querySelector(`input[name=q${n}]:checked`)?.value ?? -1));
    if (answers.includes(-1)) { toast(tr.answerAll, "error"); return; }
    try {
      const result = await api("POST", `/training/attempts/${attempt.id}/answers`, { answers });
      result.right.forEach((right, n) => {
        for (const label of form.querySelectorAll(`fieldset[data-question="${n}"] label`)) {
          const o = Number(label.dataset.option);
          if (o === right) label.classList.add("right");
          else if (o === answers[n]) label.classList.add("wrong");
        }
      });
      form.querySelector("#quiz-submit").disabled = true;
      const outcome = `${result.correct}/${result.total} · ${result.passed ? tr.passed : tr.failed}${result.newly_certified ? ` · ${tr.nowCertified}` : ""}`;
      const line = byId("quiz-result");
      line.textContent = outcome;
      line.dataset.passed = String(result.passed);
      onDone(result);
    } catch (error) { toast(error.message, "error"); }
  });
  return form;
}

function practicePane(view, onChange) {
  const tr = t.training;
  const pane = el("div", { id: "practice", "data-practice": String(view.id), "data-ended": String(view.ended) },
    el("h3", {}, `${tr.practice}${view.upset ? ` · ${tr.upset}` : ""}`),
    el("div", { id: "practice-transcript" }, ...view.transcript.map((line) => el("p", { class: `line ${line.speaker}`, "data-speaker": line.speaker },
      el("b", {}, line.speaker === "learner" ? tr.learner : tr.you), " ", line.text))));
  if (view.ended) {
    const s = view.score;
    pane.append(el("p", { id: "practice-score", "data-total": String(s.total) },
      `${tr.score} ${s.total}/100 — ${tr.parts.solved} ${s.solved}/50 · ${tr.parts.empathy} ${s.empathy}/20 · ${tr.parts.asked} ${s.asked}/10 · ${tr.parts.next_step} ${s.next_step}/10 · ${tr.parts.respectful} ${s.respectful}/10`),
      el("p", {}, `${tr.answerWas} `, el("a", { href: `/help/articles/${encodeURIComponent(view.article.id)}`, target: "_blank", rel: "noopener", id: "practice-article" }, view.article.title)),
      el("button", { id: "practice-again", onclick: () => startPractice(onChange) }, tr.again));
    return pane;
  }
  const reply = el("textarea", { id: "practice-reply", rows: "3", maxlength: "2000", placeholder: tr.replyHint });
  const hits = el("ul", { id: "practice-hits" });
  const search = el("input", { id: "practice-search", placeholder: tr.searchKb, oninput: async () => {
    const words = search.value.trim().toLowerCase();
    if (!articleTitles) articleTitles = (await api("GET", "/kb/articles")).filter((a) => a.visibility === "published");
    const found = words ? articleTitles.filter((a) => a.lang === view.lang && (a.title.toLowerCase().includes(words) || a.body.toLowerCase().includes(words))).slice(0, 5) : [];
    hits.replaceChildren(...found.map((a) => el("li", {}, a.title, " ",
      el("button", { "data-article": a.id, onclick: () => { reply.value = `${reply.value}${reply.value ? " " : ""}${tr.seeArticle}《${a.title}》`; } }, tr.insert))));
  } });
  const send = el("button", { class: "primary", id: "practice-send", onclick: async () => {
    if (!reply.value.trim()) return;
    try { onChange(await api("POST", `/training/practice/${view.id}/replies`, { body: reply.value })); } catch (error) { toast(error.message, "error"); }
  } }, tr.send);
  pane.append(el("p", { class: "hint" }, `${tr.turnsLeft} ${view.turns_left}`), reply, el("p", {}, send), search, hits);
  return pane;
}

async function startPractice(onChange) {
  try { onChange(await api("POST", `/training/practice?${q()}`)); } catch (error) { toast(error.message, "error"); }
}

function teamTable(team, onGranted) {
  const tr = t.training;
  return el("table", { class: "kpi-table", id: "training-team" },
    el("tr", {}, ...[tr.member, tr.tier, tr.certifiedFor, tr.modulesPassed, tr.practice, tr.grant].map((h) => el("th", {}, h))),
    ...team.map((m) => {
      const tier = el("select", { class: "grant-tier" }, ...[1, 2, 3].map((n) => el("option", { value: String(n), selected: n === m.tier }, `T${n}`)));
      const grant = el("button", { class: "grant", onclick: async () => {
        try { await api("POST", "/training/certifications", { user_id: m.user_id, tier: Number(tier.value) }); toast(tr.granted); onGranted(); } catch (error) { toast(error.message, "error"); }
      } }, tr.grant);
      return el("tr", { "data-user": String(m.user_id), class: m.certified_tier < m.tier ? "trainee" : "" },
        el("td", {}, m.display_name), el("td", {}, `T${m.tier}`),
        el("td", { class: "certified" }, m.certified_tier ? `T${m.certified_tier}` : tr.none),
        el("td", {}, m.passed.length ? m.passed.join(" ") : "—"),
        el("td", {}, m.practice_sessions ? `${m.practice_sessions} · ${Math.round(m.practice_average ?? 0)}` : "—"),
        el("td", {}, tier, " ", grant));
    }));
}

export async function renderTraining(openPractice) {
  const pane = byId("conversation");
  if (!pane) return;
  for (const id of ["views", "search-bar", "list", "sop-panel", "profile"]) byId(id)?.replaceChildren();
  const tr = t.training;
  let course;
  let team = null;
  try {
    course = await api("GET", `/training?${q()}`);
    if (me.role !== "agent") team = await api("GET", "/training/team");
  } catch (error) {
    pane.replaceChildren(el("h2", {}, tr.title), el("p", { class: "missing" }, error.message));
    return;
  }
  if (screen() !== "training") return;
  if (!shownTier) shownTier = me.tier;
  const progress = course.tiers.find((p) => p.tier === shownTier);
  const quizHost = el("div", {});
  const practiceHost = el("div", {});
  const redraw = () => renderTraining();
  const showPractice = (view) => { practiceId = view.id; practiceHost.replaceChildren(practicePane(view, showPractice)); };
  const tabs = el("p", { id: "training-tiers" }, ...course.tiers.map((p) => el("button", { class: p.tier === shownTier ? "view active" : "view", "data-tier": String(p.tier),
    onclick: () => { shownTier = p.tier; redraw(); } }, `T${p.tier}${p.certified ? " ✓" : ""}`)));
  const cards = el("div", { id: "training-modules" }, ...course.modules.map((content) => {
    const mod = progress.modules.find((m) => m.module === content.module);
    const best = mod.best ? `${tr.best} ${mod.best.correct}/${mod.best.total}${mod.best.passed ? " ✓" : ""}` : tr.notTaken;
    return el("section", { class: "module", "data-module": content.module, "data-passed": String(!!mod.best?.passed) },
      el("h3", {}, content.title), el("p", { class: "hint" }, `${mod.questions} ${tr.questions} · ${tr.passMark} ${Math.round(mod.pass_mark * 100)}% · `, el("span", { class: "best" }, best)),
      ...content.lessons.map(lesson),
      el("button", { class: "start-quiz", onclick: async () => {
        const tier = shownTier;
        const done = (result) => {
          // The module's card and the certification line follow the result without a redraw
          // (which would take the marked answers away).
          const card = document.querySelector(`#training-modules .module[data-module="${content.module}"]`);
          if (result.passed && card) { card.dataset.passed = "true"; card.querySelector(".best").textContent = `${tr.best} ${result.correct}/${result.total} ✓`; }
          if (result.newly_certified) {
            const line = byId("training-certified");
            line.dataset.tier = String(Math.max(Number(line.dataset.tier), tier));
            line.textContent = `${tr.certifiedFor} T${line.dataset.tier}`;
          }
        };
        try { quizHost.replaceChildren(quiz(await api("POST", `/training/attempts?${q()}`, { tier, module: content.module }), done)); quizHost.scrollIntoView(); } catch (error) { toast(error.message, "error"); }
      } }, tr.takeQuiz));
  }));
  const certified = el("p", { id: "training-certified", "data-tier": String(course.certified_tier) },
    course.certified_tier ? `${tr.certifiedFor} T${course.certified_tier}` : tr.notCertified,
    course.certified_tier < me.tier ? ` · ${tr.traineeNote}` : "");
  pane.classList.add("form-pane");
  pane.replaceChildren(el("h2", {}, tr.title), certified, tabs, cards, quizHost,
    el("p", {}, el("button", { id: "practice-start", onclick: () => startPractice(showPractice) }, tr.startPractice)), practiceHost,
    ...(team ? [el("h3", {}, tr.team), teamTable(team, redraw)] : []));
  if (openPractice ?? practiceId) {
    try { showPractice(await api("GET", `/training/practice/${openPractice ?? practiceId}`)); } catch { practiceId = null; }
  }
}
