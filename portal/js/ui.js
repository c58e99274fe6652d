// @ts-check
// Small helpers every page uses: build elements, show errors the API sends, format values.

/** h("p", {class: "x"}, "text", child, ...): an element; attributes starting with "on" are listeners. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on") && typeof value === "function") element.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(element.dataset, value);
    // Through the CSSOM: the portal's policy (style-src 'self') refuses style attributes.
    else if (name === "style") element.style.cssText = String(value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

let ids = 0;
export const uid = (prefix) => `${prefix}-${++ids}`;

/** The page's content: a level-1 heading first, focus moved to it for screen readers and keyboards. */
export function render(main, ...children) {
  main.replaceChildren(...children.flat(Infinity).filter(Boolean));
  const heading = main.querySelector("h1");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: false });
  }
}

/** A refusal or failure: the API's own message in an element with role "alert". */
export function alertBox(message) {
  return h("div", { class: "alert", role: "alert" }, message);
}

export function noticeBox(message) {
  return h("div", { class: "notice", role: "status" }, message);
}

/** Show an API error on a form: the message in an alert, and the field the details name marked invalid. */
export function showError(form, error, fieldsByName = {}) {
  clearErrors(form);
  const box = alertBox(error.message);
  box.dataset.code = error.code || "";
  form.prepend(box);
  for (const detail of error.details || []) {
    const name = Array.isArray(detail?.loc) ? detail.loc[detail.loc.length - 1] : detail?.field;
    const input = fieldsByName[name] || (name && form.elements.namedItem?.(name));
    if (input && input.setAttribute) {
      input.setAttribute("aria-invalid", "true");
      const note = h("p", { class: "field-error", id: uid("err") }, detail.msg || detail.message || "Check this field.");
      input.setAttribute("aria-describedby", [input.getAttribute("aria-describedby"), note.id].filter(Boolean).join(" "));
      input.after(note);
    }
  }
  box.setAttribute("tabindex", "-1");
  box.focus();
}

export function clearErrors(form) {
  form.querySelectorAll(".alert, .field-error").forEach((e) => e.remove());
  form.querySelectorAll("[aria-invalid]").forEach((e) => e.removeAttribute("aria-invalid"));
}

/** Run a form's async action with its submit button disabled; errors shown on the form. */
export async function busy(form, action, fieldsByName) {
  const buttons = [...form.querySelectorAll("button")];
  buttons.forEach((b) => (b.disabled = true));
  try {
    clearErrors(form);
    return await action();
  } catch (error) {
    showError(form, error, fieldsByName);
    return undefined;
  } finally {
    buttons.forEach((b) => (b.disabled = false));
  }
}

export function field(label, input, hint) {
  const id = input.id || (input.id = uid("f"));
  const hintNode = hint ? h("span", { class: "hint", id: `${id}-hint` }, hint) : null;
  if (hintNode) input.setAttribute("aria-describedby", hintNode.id);
  return h("div", { class: "field" }, h("label", { for: id }, label), hintNode, input);
}

export function checkbox(label, attributes = {}) {
  const input = h("input", { type: "checkbox", ...attributes });
  return h("label", { class: "check" }, input, label);
}

export const points = (value) =>
  Number(value ?? 0).toLocaleString("en-US", { minimumFractionDigits: 0, maximumFractionDigits: 2 });

export const money = (amount, currency = "usd") =>
  Number(amount).toLocaleString("en-US", { style: "currency", currency: currency.toUpperCase() });

/** Dates stay ISO (YYYY-MM-DD) as the program prints them, with a readable form beside. */
export function day(iso) {
  if (!iso) return "—";
  const [y, m, d] = iso.split("-").map(Number);
  const text = new Date(Date.UTC(y, m - 1, d)).toLocaleDateString("en-US", {
    year: "numeric", month: "long", day: "numeric", timeZone: "UTC",
  });
  return h("time", { datetime: iso }, text);
}

export const statusBadge = (status, label) =>
  h("span", { class: `status status-${status}` }, label || String(status).replace(/_/g, " "));

/** A table; on phones each row becomes a card whose cells say what they are. */
export function table(caption, headers, rows) {
  return h("div", { class: "table-wrap" },
    h("table", { class: "stack" },
      h("caption", {}, caption),
      h("thead", {}, h("tr", {}, headers.map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((cell, i) =>
        h("td", { "data-label": headers[i] }, cell))))),
    ),
  );
}

/** Save a downloaded blob under a file name (the browser's own download). */
export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = h("a", { href: url, download: filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
