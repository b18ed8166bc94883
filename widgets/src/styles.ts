// Colours and fonts come from JupyterLab's CSS variables, so light and dark themes both work; the
// fallbacks serve pages without JupyterLab (tests, the classic notebook).
const CSS = `
.seglens-explorer { font-family: var(--jp-ui-font-family, sans-serif); font-size: var(--jp-ui-font-size1, 13px);
  color: var(--jp-ui-font-color1, #222); background: var(--jp-layout-color0, transparent); padding: 4px; }
.seglens-controls { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; margin-bottom: 6px; }
.seglens-controls fieldset { border: 1px solid var(--jp-border-color2, #ccc); padding: 2px 6px; margin: 0; }
.seglens-controls label { display: inline-flex; gap: 4px; align-items: center; }
.seglens-controls input, .seglens-controls select, .seglens-status button, .seglens-legend button,
.seglens-export button {
  font: inherit; color: var(--jp-ui-font-color1, #222); background: var(--jp-layout-color1, #fff);
  border: 1px solid var(--jp-border-color1, #bbb); }
.seglens-controls input[type="number"] { width: 4em; }
.seglens-pager { display: flex; flex-wrap: wrap; gap: 6px 12px; align-items: center; margin-bottom: 6px; }
.seglens-page-nav { display: inline-flex; gap: 4px; align-items: center; }
.seglens-page-nav[hidden] { display: none; }
.seglens-pager input[type="number"] { width: 4em; }
.seglens-pager button, .seglens-pager input { font: inherit; color: var(--jp-ui-font-color1, #222);
  background: var(--jp-layout-color1, #fff); border: 1px solid var(--jp-border-color1, #bbb); }
.seglens-export { display: flex; gap: 6px; margin-bottom: 6px; }
.seglens-export[aria-busy="true"] button { cursor: progress; }
.seglens-explorer :focus-visible { outline: 2px solid var(--jp-brand-color1, #1976d2); outline-offset: 1px; }
.seglens-status { display: flex; gap: 8px; align-items: center; min-height: 1.6em; }
.seglens-status[hidden], .seglens-error[hidden], .seglens-refining[hidden] { display: none; }
.seglens-refining { font-style: italic; color: var(--jp-ui-font-color2, #555); min-height: 1.2em; }
.seglens-panel.seglens-pending canvas { opacity: 0.5; }
.seglens-status progress { width: 16em; accent-color: var(--jp-brand-color1, #1976d2); }
.seglens-error { color: var(--jp-error-color1, #c62828); border: 1px solid var(--jp-error-color1, #c62828);
  background: var(--jp-error-color3, #fdecea); padding: 4px 8px; white-space: pre-wrap; margin: 4px 0; }
.seglens-row { display: flex; flex-wrap: wrap; gap: 6px; align-items: flex-start; margin: 4px 0; }
.seglens-row-title { writing-mode: vertical-rl; transform: rotate(180deg); color: var(--jp-ui-font-color2, #555); }
/* Contained: a repaint of one panel's canvases lays out and paints that panel alone. */
.seglens-panel { margin: 0; display: flex; flex-direction: column; align-items: center; contain: content; }
.seglens-stack { position: relative; margin: 1px; }
.seglens-panel canvas { display: block; width: 128px; image-rendering: pixelated; cursor: crosshair; }
/* Each image's frame; the pointer goes through to the canvas. */
.seglens-cell { position: absolute; left: 0; right: 0; pointer-events: none;
  outline: 1px solid var(--jp-border-color2, #ddd); }
.seglens-panel figcaption { font-size: var(--jp-ui-font-size0, 11px); color: var(--jp-ui-font-color2, #555); }
.seglens-legend { display: flex; flex-wrap: wrap; gap: 3px; margin: 4px 0; }
.seglens-legend button { width: 1.6em; height: 1.6em; padding: 0; font-size: 10px; color: #000; }
.seglens-legend button[aria-pressed="true"] { outline: 2px solid var(--jp-ui-font-color1, #222); }
.seglens-chart { width: 100%; max-width: 640px; height: 260px; }
`;

const STYLE_ID = "seglens-explorer-style";

/** Adds the explorer's style sheet to `doc` once; it stays while any explorer may be shown. */
export function ensureStyles(doc: Document): void {
  if (doc.getElementById(STYLE_ID)) return;
  const style = doc.createElement("style");
  style.id = STYLE_ID;
  style.textContent = CSS;
  doc.head.append(style);
}
