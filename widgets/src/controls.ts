import {
  DEFAULT_OPACITY,
  EXPLORER_LIMITS,
  type KMeansNormalize,
  LENSES,
  type Lens,
  REPS,
  type Rep,
} from "../../src/vocabulary";
import { h, modelLabel } from "./dom";
import { shownPage, type ViewState } from "./read-state";

/** The fields the controls write. */
export type ControlPatch = Partial<
  Pick<
    ViewState,
    "models" | "k" | "rep" | "lens" | "head" | "layer_range" | "image" | "page" | "opacity" | "normalize"
  >
>;

/**
 * Receives a control change. `commit` is false while a slider moves (the view redraws locally)
 * and true when the value is settled (the view syncs it to the kernel).
 */
export type OnControlChange = (patch: ControlPatch, commit: boolean) => void;

/** The explorer's control row. */
export interface Controls {
  readonly element: HTMLElement;
  /** Shows `state` in the inputs (after a kernel update or a rejected change). */
  update(state: ViewState): void;
}

const { maxModels: MAX_MODELS, minK: MIN_K, maxK: MAX_K } = EXPLORER_LIMITS;

/** The lens selector's words. */
const LENS_NAMES: Record<Lens, string> = { clusters: "Clusters", pca: "PCA", attention: "Attention" };
/** The title of the controls that only the clusters lens uses, while another lens is shown. */
const CLUSTERS_ONLY = "applies to the clusters lens";

function labelled(doc: Document, text: string, input: HTMLElement, ...rest: Node[]): HTMLLabelElement {
  return h(doc, "label", {}, text, input, ...rest);
}

/** Builds the controls; every listener is removed when `signal` aborts. */
export function createControls(doc: Document, onChange: OnControlChange, signal: AbortSignal): Controls {
  const on = (target: EventTarget, type: string, listener: () => void) =>
    target.addEventListener(type, listener, { signal });

  const models = h(doc, "fieldset", { class: "seglens-models" }, h(doc, "legend", {}, "Models (up to 3)"));
  let modelChoices: string[] = [];
  let checked: string[] = [];
  const modelBoxes = new Map<string, HTMLInputElement>();

  const k = h(doc, "input", {
    type: "range",
    min: MIN_K,
    max: MAX_K,
    step: 1,
    class: "seglens-k",
    "aria-label": "K",
  });
  const kOut = h(doc, "output", { class: "seglens-k-value" });
  on(k, "input", () => {
    kOut.textContent = k.value;
  });
  on(k, "change", () => onChange({ k: k.valueAsNumber }, true));

  const rep = h(doc, "select", { class: "seglens-rep", "aria-label": "Representation" });
  rep.append(...REPS.map((r) => h(doc, "option", { value: r }, r)));
  on(rep, "change", () => onChange({ rep: rep.value as Rep }, true));

  const lens = h(doc, "select", { class: "seglens-lens", "aria-label": "Lens" });
  lens.append(...LENSES.map((l) => h(doc, "option", { value: l }, LENS_NAMES[l])));
  on(lens, "change", () => onChange({ lens: lens.value as Lens }, true));

  // The attention lens's head: the mean, or one of the first model's heads once the kernel knows them.
  const head = h(doc, "select", { class: "seglens-head", "aria-label": "Head" });
  on(head, "change", () => onChange({ head: head.value === "mean" ? "mean" : Number(head.value) }, true));

  const first = h(doc, "input", {
    type: "number",
    step: 1,
    class: "seglens-first",
    "aria-label": "First layer",
  });
  const last = h(doc, "input", {
    type: "number",
    step: 1,
    class: "seglens-last",
    "aria-label": "Last layer",
  });
  let bounds: [number, number] = [1, 1];
  const clamp = (v: number) =>
    Math.min(bounds[1], Math.max(bounds[0], Number.isFinite(v) ? Math.round(v) : 1));
  const onRange = () => {
    const a = clamp(first.valueAsNumber);
    const b = clamp(last.valueAsNumber);
    onChange({ layer_range: [Math.min(a, b), Math.max(a, b)] }, true);
  };
  on(first, "change", onRange);
  on(last, "change", onRange);

  const image = h(doc, "select", { class: "seglens-image", "aria-label": "Image" });
  on(image, "change", () => onChange({ image: image.value === "all" ? "all" : Number(image.value) }, true));

  const opacity = h(doc, "input", { type: "range", min: 0, max: 1, step: 0.05, class: "seglens-opacity" });
  opacity.setAttribute("aria-label", "Opacity");
  on(opacity, "input", () => onChange({ opacity: opacity.valueAsNumber }, false));
  on(opacity, "change", () => onChange({ opacity: opacity.valueAsNumber }, true));

  // Labels only = opacity 1: the clusters without the photo; unticked, the opacity set before returns.
  const labelsOnly = h(doc, "input", { type: "checkbox", class: "seglens-labels-only" });
  let opacityBefore = DEFAULT_OPACITY;
  on(labelsOnly, "change", () =>
    onChange({ opacity: labelsOnly.checked ? 1 : opacityBefore < 1 ? opacityBefore : DEFAULT_OPACITY }, true),
  );

  const normalize = h(doc, "input", { type: "checkbox", class: "seglens-normalize" });
  on(normalize, "change", () =>
    onChange({ normalize: (normalize.checked ? "l2" : "none") satisfies KMeansNormalize }, true),
  );

  const element = h(doc, "div", {
    class: "seglens-controls",
    role: "group",
    "aria-label": "Explorer controls",
  });
  const kLabel = labelled(doc, "K", k, kOut);
  const normalizeLabel = h(doc, "label", {}, normalize, "L2-normalize");
  const headLabel = labelled(doc, "Head", head);
  headLabel.classList.add("seglens-head-control");
  element.append(
    models,
    kLabel,
    labelled(doc, "Representation", rep),
    labelled(doc, "Lens", lens),
    headLabel,
    labelled(doc, "Layers", first, doc.createTextNode("–"), last),
    labelled(doc, "Image", image),
    labelled(doc, "Opacity", opacity),
    h(doc, "label", {}, labelsOnly, "Labels only"),
    normalizeLabel,
  );

  /** Greys out K and normalization outside the clusters lens, saying why in their titles. */
  function updateLens(state: ViewState): void {
    lens.value = state.lens;
    const off = state.lens !== "clusters";
    for (const [label, input] of [
      [kLabel, k],
      [normalizeLabel, normalize],
    ] as const) {
      input.disabled = off;
      label.classList.toggle("seglens-off", off);
      if (off) label.title = CLUSTERS_ONLY;
      else label.removeAttribute("title");
    }
    headLabel.hidden = state.lens !== "attention";
    const values = ["mean", ...Array.from({ length: state.heads }, (_, i) => String(i))];
    if ([...head.options].map((o) => o.value).join() !== values.join()) {
      head.replaceChildren(
        ...values.map((v) => h(doc, "option", { value: v }, v === "mean" ? "mean" : `head ${v}`)),
      );
    }
    // A head the options do not hold yet (heads still 0) shows as the mean until they arrive.
    head.value = values.includes(String(state.head)) ? String(state.head) : "mean";
  }

  function toggleModel(id: string, box: HTMLInputElement): void {
    const next = modelChoices.filter((m) => (m === id ? box.checked : checked.includes(m)));
    if (next.length === 0 || next.length > MAX_MODELS) {
      box.checked = !box.checked; // refuse: at least one model, at most three
      return;
    }
    onChange({ models: next }, true);
  }

  function updateModels(state: ViewState): void {
    if (state.model_choices.join("\n") !== modelChoices.join("\n")) {
      modelChoices = [...state.model_choices];
      for (const box of modelBoxes.values()) box.closest("label")?.remove();
      modelBoxes.clear();
      for (const id of modelChoices) {
        const box = h(doc, "input", { type: "checkbox", value: id });
        on(box, "change", () => toggleModel(id, box));
        modelBoxes.set(id, box);
        models.append(h(doc, "label", { title: id }, box, modelLabel(id)));
      }
    }
    checked = state.models.filter((m) => modelChoices.includes(m));
    for (const [id, box] of modelBoxes) {
      box.checked = checked.includes(id);
      box.disabled = !box.checked && checked.length >= MAX_MODELS;
    }
  }

  /** The picker offers the shown page's images (numbered in the whole set), or all of them. */
  function updateImages(state: ViewState): void {
    const { start, end } = shownPage(state);
    const indices = Array.from({ length: end - start }, (_, i) => start + i);
    const names = ["all", ...indices.map(String)];
    if ([...image.options].map((o) => o.value).join() !== names.join()) {
      image.replaceChildren(
        h(
          doc,
          "option",
          { value: "all" },
          end - start < state.image_names.length ? "all on this page" : "all images",
        ),
        ...indices.map((i) => h(doc, "option", { value: i }, `${i + 1}: ${state.image_names[i]}`)),
      );
    }
    image.value = String(state.image);
  }

  return {
    element,
    update(state) {
      updateModels(state);
      k.value = String(state.k);
      kOut.textContent = String(state.k);
      rep.value = state.rep;
      updateLens(state);
      bounds = state.layer_bounds;
      for (const input of [first, last]) {
        input.min = String(bounds[0]);
        input.max = String(bounds[1]);
      }
      first.value = String(state.layer_range[0]);
      last.value = String(state.layer_range[1]);
      updateImages(state);
      opacity.value = String(state.opacity);
      if (state.opacity < 1) opacityBefore = state.opacity;
      labelsOnly.checked = state.opacity === 1;
      normalize.checked = state.normalize === "l2";
    },
  };
}
