// Shared by the console and the widget: building DOM nodes and reading a cookie. Nodes are
// built as elements and text, never from HTML strings, so nothing a learner or agent writes
// can inject markup.

// el("button", { class: "primary", id: "x", onclick: fn, "data-seq": 3 }, "text", node, [more])
// Attributes: `class` sets the class name, `on…` adds a listener, true is an empty attribute,
// false/null/undefined leave it out. Children: nodes as they are, anything else as text
// (null and undefined are skipped, arrays are flattened).
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) if (child !== null && child !== undefined) node.append(child.nodeType ? child : String(child));
  return node;
}

export const byId = (id) => document.getElementById(id);

export function cookie(name) {
  return document.cookie.split("; ").find((part) => part.startsWith(name + "="))?.slice(name.length + 1);
}
