/** Attributes and properties `h` sets: strings become attributes, listeners are not allowed here. */
type Attributes = Record<string, string | number | boolean | undefined>;

/**
 * Creates an element with attributes (`false`/`undefined` omit one, `true` sets it empty) and
 * children. A tiny stand-in for a template engine, enough for the explorer's few controls.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  doc: Document,
  tag: K,
  attributes: Attributes = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const element = doc.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? "" : String(value));
  }
  element.append(...children);
  return element;
}

/**
 * A model id as shown: its last path segment (`/data/models/dinov2-small` → `dinov2-small`,
 * `facebook/dinov2-small` → `dinov2-small`); the full id goes in the element's title.
 */
export function modelLabel(id: string): string {
  return id.replace(/\/+$/, "").split("/").at(-1) || id;
}
