import type { OnControlChange } from "./controls";
import { h } from "./dom";
import { shownPage, type ViewState } from "./read-state";

/** The pager: which images of the set are shown, and previous / page number / next. */
export interface PageControl {
  readonly element: HTMLElement;
  update(state: ViewState): void;
}

/**
 * Builds the pager; a page change goes out as `{page}` (with `image: "all"` when the image picked
 * alone is not on the new page). Listeners are removed when `signal` aborts.
 */
export function createPageControl(
  doc: Document,
  onChange: OnControlChange,
  signal: AbortSignal,
): PageControl {
  const text = h(doc, "span", { class: "seglens-page-text", "aria-live": "polite" });
  const previous = h(doc, "button", { type: "button", class: "seglens-page-previous" }, "◀ Previous");
  const next = h(doc, "button", { type: "button", class: "seglens-page-next" }, "Next ▶");
  const number = h(doc, "input", {
    type: "number",
    step: 1,
    min: 1,
    class: "seglens-page",
    "aria-label": "Page",
  });
  const total = h(doc, "span", { class: "seglens-page-count" });
  const nav = h(doc, "span", { class: "seglens-page-nav" }, previous, "page", number, total, next);
  const element = h(doc, "div", { class: "seglens-pager", role: "group", "aria-label": "Pages" }, text, nav);
  let state: ViewState | undefined;

  const go = (page: number) => {
    if (!state) return;
    const { count } = shownPage(state);
    const index = Math.min(count - 1, Math.max(0, Number.isFinite(page) ? Math.round(page) : 0));
    const start = index * state.page_size;
    const { image } = state;
    const offPage = typeof image === "number" && (image < start || image >= start + state.page_size);
    onChange({ page: index, ...(offPage ? { image: "all" as const } : {}) }, true);
  };
  previous.addEventListener("click", () => go((state?.page ?? 0) - 1), { signal });
  next.addEventListener("click", () => go((state?.page ?? 0) + 1), { signal });
  number.addEventListener("change", () => go(number.valueAsNumber - 1), { signal });

  return {
    element,
    update(next_) {
      state = next_;
      const page = shownPage(next_);
      const n = next_.image_names.length;
      text.textContent =
        n === 0
          ? ""
          : page.end - page.start === 1
            ? `image ${page.start + 1} of ${n}`
            : `images ${page.start + 1}–${page.end} of ${n}`;
      nav.hidden = page.count <= 1;
      number.max = String(page.count);
      number.value = String(page.index + 1);
      total.textContent = `of ${page.count}`;
      previous.disabled = page.index === 0;
      next.disabled = page.index >= page.count - 1;
    },
  };
}
