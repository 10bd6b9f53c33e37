// The one rule that picks the language, for the console and the widget alike, in the order
// the server applies too: an explicit choice (the console's saved toggle, the widget's
// data-lang) > `?lang=` in the page's URL > the browser's languages (the first one that is
// Chinese or English, in the browser's order) > English. Plus a tiny translator. The text
// tables themselves live with the console and the widget.

export const LANGUAGES = ["zh", "en"];

// "zh", "zh-CN", "ZH_tw" → "zh"; "en-GB" → "en"; anything else → null.
export function supported(tag) {
  const value = String(tag ?? "").trim().toLowerCase();
  return LANGUAGES.find((lang) => value.startsWith(lang)) ?? null;
}

export function pickLang({ explicit = null, url = location.href, languages = browserLanguages() } = {}) {
  const chosen = supported(explicit);
  if (chosen) return chosen;
  let query = null;
  try { query = new URL(url).searchParams.get("lang"); } catch (e) { /* not a URL: no query */ }
  const asked = supported(query);
  if (asked) return asked;
  for (const tag of languages || []) {
    const preferred = supported(tag);
    if (preferred) return preferred;
  }
  return "en";
}

function browserLanguages() {
  return navigator.languages?.length ? navigator.languages : [navigator.language].filter(Boolean);
}

// fill("Escalated from T{from} to T{to}", { from: 1, to: 2 }); unknown names stay as they are.
// (A function replacement, so a "$" in a value is never read as a replacement pattern.)
export function fill(template, vars = {}) {
  return String(template).replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

// translator({ zh: {...}, en: {...} }, "zh") → tr("key", { vars }): the entry in that
// language, else in English, else the key itself.
export function translator(tables, lang) {
  return (key, vars) => fill(tables[lang]?.[key] ?? tables.en?.[key] ?? key, vars);
}
