import type { OnControlChange } from "./controls";
import { h } from "./dom";
import { shownPage, type ViewState } from "./read-state";

/** Keys that switch images while focus is in the explorer but not in a text, number or range input. */
export const IMAGE_KEYS: Readonly<Record<string, "previous" | "next" | "toggle">> = Object.freeze({
  ArrowLeft: "previous",
  ArrowRight: "next",
  k: "previous",
  j: "next",
  a: "toggle",
});

/** Previous / next image and the one-or-all toggle, with their keys (`IMAGE_KEYS`). */
export interface ImageSwitch {
  readonly element: HTMLElement;
  update(state: ViewState): void;
  /** Shows the image `by` places before or after the one shown (across pages); from "all", the page's first or last. */
  step(by: -1 | 1): void;
  /** All of the page's images, or again the one shown before (else the page's first). */
  toggle(): void;
}

/** Builds the image switch; changes go out through `onChange` and are committed at once. */
export function createImageSwitch(
  doc: Document,
  onChange: OnControlChange,
  signal: AbortSignal,
): ImageSwitch {
  const previous = h(
    doc,
    "button",
    { type: "button", class: "seglens-image-previous", "aria-label": "Previous image (← or k)" },
    "◀",
  );
  const text = h(doc, "span", { class: "seglens-switch-text", "aria-live": "polite" });
  const next = h(
    doc,
    "button",
    { type: "button", class: "seglens-image-next", "aria-label": "Next image (→ or j)" },
    "▶",
  );
  const all = h(
    doc,
    "button",
    { type: "button", class: "seglens-all-images", "aria-pressed": "false", title: "key a" },
    "All images",
  );
  const element = h(
    doc,
    "div",
    { class: "seglens-switch", role: "group", "aria-label": "Image switch" },
    previous,
    text,
    next,
    all,
  );
  let state: ViewState | undefined;
  /** The image shown alone before "all": the toggle goes back to it. */
  let lastSingle = 0;

  /** Shows image `index` of the set alone, moving to its page when it is on another. */
  const show = (index: number) => {
    if (!state) return;
    const n = state.image_names.length;
    if (n === 0) return;
    const image = Math.min(n - 1, Math.max(0, index));
    const page = Math.floor(image / state.page_size);
    onChange(page === shownPage(state).index ? { image } : { image, page }, true);
  };

  const api: ImageSwitch = {
    element,
    update(next_) {
      state = next_;
      const n = next_.image_names.length;
      element.hidden = n <= 1;
      const { image } = next_;
      if (typeof image === "number") lastSingle = image;
      const { start, end } = shownPage(next_);
      text.textContent =
        image === "all"
          ? `all ${end - start} images of the page`
          : `image ${image + 1} of ${n}: ${next_.image_names[image] ?? ""}`;
      all.setAttribute("aria-pressed", String(image === "all"));
      previous.disabled = image !== "all" && image <= 0;
      next.disabled = image !== "all" && image >= n - 1;
    },
    step(by) {
      if (!state) return;
      const { image } = state;
      if (image === "all") {
        const { start, end } = shownPage(state);
        show(by > 0 ? start : end - 1);
      } else show(image + by);
    },
    toggle() {
      if (!state) return;
      if (state.image !== "all") return onChange({ image: "all" }, true);
      const { start, end } = shownPage(state);
      onChange({ image: lastSingle >= start && lastSingle < end ? lastSingle : start }, true);
    },
  };
  previous.addEventListener("click", () => api.step(-1), { signal });
  next.addEventListener("click", () => api.step(1), { signal });
  all.addEventListener("click", () => api.toggle(), { signal });
  return api;
}

/** Whether a key pressed on `target` belongs to that element (typing, a slider, a list). */
export function ownsKeys(target: EventTarget | null): boolean {
  const tag = (target as Element | null)?.tagName;
  return tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA";
}
