/** A tiny element builder: h("button", { type: "button", onclick }, "text"). Text is always text, never HTML. */
type Attrs = Record<string, string | number | boolean | ((e: Event) => void) | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Node | string | null | false)[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === "function") el.addEventListener(k.replace(/^on/, ""), v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== null && c !== false) el.append(c);
  return el;
}

/** A labelled input with its own error line (accessible: label for=, aria-describedby). */
export function field(id: string, label: string, input: HTMLInputElement | HTMLSelectElement, hint?: string): HTMLDivElement {
  input.id = id;
  const err = h("p", { class: "field-error", id: `${id}-error`, "aria-live": "polite" });
  input.setAttribute("aria-describedby", `${id}-error`);
  return h("div", {}, h("label", { for: id }, label), hint ? h("p", { class: "hint" }, hint) : null, input, err);
}

export function setFieldError(id: string, message: string): void {
  const input = document.getElementById(id);
  const err = document.getElementById(`${id}-error`);
  if (input) input.setAttribute("aria-invalid", message ? "true" : "false");
  if (err) err.textContent = message;
}

export function notice(kind: "ok" | "bad" | "info", text: string): HTMLParagraphElement {
  return h("p", { class: `notice ${kind}`, role: kind === "bad" ? "alert" : "status" }, text);
}
