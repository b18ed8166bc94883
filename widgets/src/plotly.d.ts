// The few Plotly calls the explorer makes; plotly.js-dist-min ships no types and @types/plotly.js
// would pull in d3 types for three functions.
declare module "plotly.js-dist-min" {
  export interface PlotlyTrace {
    x: number[];
    y: (number | null)[];
    /** Per point, shown by `hovertemplate` as `%{customdata}`. */
    customdata?: number[];
    hovertemplate?: string;
    name: string;
    type: "scatter";
    mode: "lines+markers";
    line?: { color?: string; dash?: "solid" | "dash" | "dot" };
  }
  export type PlotlyLayout = Record<string, unknown>;
  export function react(
    root: HTMLElement,
    data: PlotlyTrace[],
    layout: PlotlyLayout,
    config?: Record<string, unknown>,
  ): Promise<HTMLElement>;
  export function purge(root: HTMLElement): void;
}
