/**
 * A standard ipywidgets IntSlider (`@jupyter-widgets/controls` 2.0.0, as ipywidgets 8.1 makes it)
 * from a TypeScript cell: the front end's own slider, synced through the {@link Widget} base.
 */
import { OptionRangeError, OptionTypeError } from "../../errors";
import { preview } from "../wire/wire-message";
import { type ViewChecks, Widget, type WidgetSpec } from "./widget";

/** Options of {@link intSlider}; the defaults are ipywidgets'. */
export interface IntSliderOptions {
  value?: number;
  min?: number;
  max?: number;
  step?: number;
  description?: string;
  /** Sync while dragging (default true), or only on release. */
  continuousUpdate?: boolean;
  disabled?: boolean;
}

/** The IntSlider's synced state (wire names, as ipywidgets' `IntSlider().get_state()`). */
export interface IntSliderState {
  value: number;
  min: number;
  max: number;
  step: number;
  description: string;
  description_allow_html: boolean;
  continuous_update: boolean;
  disabled: boolean;
  behavior: "drag-tap";
  orientation: "horizontal" | "vertical";
  readout: boolean;
  readout_format: string;
  layout: string;
  style: string;
  tabbable: boolean | null;
  tooltip: string | null;
  _dom_classes: string[];
  _view_count: number | null;
}

function controlsSpec(model: string, view: string | null, viewModule = "@jupyter-widgets/base"): WidgetSpec {
  return {
    modelName: model,
    modelModule: model === "LayoutModel" ? "@jupyter-widgets/base" : "@jupyter-widgets/controls",
    modelModuleVersion: "2.0.0",
    viewName: view,
    viewModule,
    viewModuleVersion: "2.0.0",
  };
}

/**
 * Creates an IntSlider with its Layout and SliderStyle models; the cell's value (or `display`)
 * shows it, and `on("change")` reports moves made in the front end.
 * @example
 * ```ts
 * const k = intSlider({ value: 6, min: 2, max: 32, description: "K" });
 * k.on("change", ({ changes }) => console.log(changes.value));
 * k
 * ```
 */
export function intSlider(options: IntSliderOptions = {}): Widget<IntSliderState> {
  const { value = 0, min = 0, max = 100, step = 1 } = options;
  if (![value, min, max, step].every(Number.isInteger) || min > max || step < 1)
    throw new OptionRangeError(
      `invalid IntSlider ${JSON.stringify({ value, min, max, step })}; expected integers with min ≤ max and step ≥ 1`,
    );
  const layout = new Widget(controlsSpec("LayoutModel", "LayoutView"), {});
  const style = new Widget(controlsSpec("SliderStyleModel", "StyleView"), {
    description_width: "",
    handle_color: null,
  });
  const state: IntSliderState = {
    value: Math.min(max, Math.max(min, value)),
    min,
    max,
    step,
    description: options.description ?? "",
    description_allow_html: false,
    continuous_update: options.continuousUpdate ?? true,
    disabled: options.disabled ?? false,
    behavior: "drag-tap",
    orientation: "horizontal",
    readout: true,
    readout_format: "d",
    layout: `IPY_MODEL_${layout.modelId}`,
    style: `IPY_MODEL_${style.modelId}`,
    tabbable: null,
    tooltip: null,
    _dom_classes: [],
    _view_count: null,
  };
  // The view moves the value (and counts its views when asked to); everything else is the kernel's.
  const viewChecks: ViewChecks<IntSliderState> = {
    value: (v, { min, max }) => {
      if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max)
        throw new OptionRangeError(
          `invalid IntSlider value ${preview(v)}; expected an integer in ${min}..${max}`,
        );
      return v;
    },
    _view_count: (v) => {
      if (v !== null && !(typeof v === "number" && Number.isInteger(v) && v >= 0))
        throw new OptionTypeError(`invalid _view_count ${preview(v)}; expected null or a count`);
      return v;
    },
  };
  return new Widget(controlsSpec("IntSliderModel", "IntSliderView", "@jupyter-widgets/controls"), state, {
    viewChecks,
  });
}
