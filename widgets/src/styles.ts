// Colours and fonts come from JupyterLab's CSS variables, so light and dark themes both work; the
// fallbacks serve pages without JupyterLab (tests, the classic notebook).
const CSS = `
.seglens-explorer { font-family: var(--jp-ui-font-family, sans-serif); font-size: var(--jp-ui-font-size1, 13px);
  color: var(--jp-ui-font-color1, #222); background: var(--jp-layout-color0, transparent); padding: 4px; }
.seglens-controls { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; margin-bottom: 6px; }
.seglens-controls fieldset { border: 1px solid var(--jp-border-color2, #ccc); padding: 2px 6px; margin: 0; }
.seglens-controls label { display: inline-flex; gap: 4px; align-items: center; }
.seglens-controls input, .seglens-controls select, .seglens-status button, .seglens-legend button,
.seglens-export button, .seglens-switch button {
  font: inherit; color: var(--jp-ui-font-color1, #222); background: var(--jp-layout-color1, #fff);
  border: 1px solid var(--jp-border-color1, #bbb); border-radius: var(--jp-border-radius, 2px); }
.seglens-controls button, .seglens-status button, .seglens-export button, .seglens-pager button,
.seglens-switch button { padding: 1px 8px; cursor: pointer; }
.seglens-explorer button:hover:not(:disabled) { background: var(--jp-layout-color2, #eee); }
.seglens-explorer button:disabled { color: var(--jp-ui-font-color3, #999); cursor: default; }
.seglens-switch button[aria-pressed="true"] { background: var(--jp-brand-color1, #1976d2);
  color: var(--jp-ui-inverse-font-color1, #fff); border-color: var(--jp-brand-color1, #1976d2); }
.seglens-explorer input[type="range"], .seglens-explorer input[type="checkbox"] {
  accent-color: var(--jp-brand-color1, #1976d2); }
.seglens-switch { display: flex; flex-wrap: wrap; gap: 6px 8px; align-items: center; margin-bottom: 6px; }
.seglens-switch-text { color: var(--jp-ui-font-color2, #555); }
.seglens-controls input[type="number"] { width: 4em; }
.seglens-pager { display: flex; flex-wrap: wrap; gap: 6px 12px; align-items: center; margin-bottom: 6px; }
.seglens-page-nav { display: inline-flex; gap: 4px; align-items: center; }
.seglens-page-nav[hidden] { display: none; }
.seglens-pager input[type="number"] { width: 4em; }
.seglens-pager button, .seglens-pager input { font: inherit; color: var(--jp-ui-font-color1, #222);
  background: var(--jp-layout-color1, #fff); border: 1px solid var(--jp-border-color1, #bbb);
  border-radius: var(--jp-border-radius, 2px); }
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
/* The panel grid scrolls inside its own box (sticky parts painted in the explorer's background): sideways when the layers do not fit at 48 px, down
   when the images do not fit in 80 % of the window; the header row and the name column stick. */
.seglens-panels { overflow: auto; max-height: 80vh; overscroll-behavior: contain; }
.seglens-grid { display: grid; gap: 2px 4px; align-items: start;
  grid-template-columns: max-content repeat(var(--seglens-layers, 1), minmax(48px, 224px)); }
.seglens-corner, .seglens-layer-head { position: sticky; top: 0; z-index: 2; padding: 2px 0;
  background: var(--jp-layout-color0, #fff); font-weight: 600; color: var(--jp-ui-font-color1, #222);
  border-bottom: 1px solid var(--jp-border-color2, #ddd); white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; }
.seglens-corner { left: 0; z-index: 3; font-weight: normal; color: var(--jp-ui-font-color2, #555); }
.seglens-row { display: contents; }
.seglens-row-title { grid-column: 1 / -1; font-weight: 600; margin-top: 4px; }
.seglens-row-title span { position: sticky; left: 0; }
.seglens-image-labels { position: sticky; left: 0; z-index: 1; align-self: stretch; width: 7.5em;
  display: flex; flex-direction: column; background: var(--jp-layout-color0, #fff); }
.seglens-names { position: relative; flex: 1; }
.seglens-image-label { position: absolute; left: 0; right: 4px; overflow: hidden; white-space: nowrap;
  text-overflow: ellipsis; font-size: var(--jp-ui-font-size0, 11px); color: var(--jp-ui-font-color2, #555); }
/* Contained: a repaint of one panel's canvases lays out and paints that panel alone. */
.seglens-panel { margin: 0; min-width: 0; display: flex; flex-direction: column; contain: content; }
.seglens-stack { position: relative; }
.seglens-panel canvas { display: block; width: 100%; height: auto; image-rendering: pixelated; cursor: crosshair; }
/* Each image's frame; the pointer goes through to the canvas. */
.seglens-cell { position: absolute; left: 0; right: 0; pointer-events: none;
  outline: 1px solid var(--jp-border-color2, #ddd); }
.seglens-panel figcaption, .seglens-caption-space { font-size: var(--jp-ui-font-size0, 11px); line-height: 16px;
  height: 16px; white-space: nowrap; overflow: hidden; color: var(--jp-ui-font-color2, #555); }
.seglens-legend { display: flex; flex-wrap: wrap; gap: 3px; margin: 4px 0; }
.seglens-legend button { width: 1.6em; height: 1.6em; padding: 0; font-size: 10px; color: #000; }
.seglens-legend button[aria-pressed="true"] { outline: 2px solid var(--jp-ui-font-color1, #222); }
.seglens-legend[hidden], .seglens-lens-legend[hidden], .seglens-heat[hidden], .seglens-chart[hidden],
.seglens-head-control[hidden] { display: none; }
.seglens-layer-note { display: block; font-weight: normal; font-size: var(--jp-ui-font-size0, 11px);
  color: var(--jp-ui-font-color2, #555); }
.seglens-layer-note:empty { display: none; }
.seglens-lens-legend { display: flex; flex-wrap: wrap; gap: 4px 8px; align-items: center; margin: 4px 0;
  color: var(--jp-ui-font-color2, #555); }
.seglens-heat { display: inline-flex; gap: 4px; align-items: center; }
.seglens-heat-bar { display: inline-block; width: 8em; height: 0.9em; border: 1px solid var(--jp-border-color2, #ddd); }
.seglens-controls label.seglens-off { color: var(--jp-ui-font-color3, #999); }
.seglens-chart { width: 100%; max-width: 640px; min-height: 260px; }
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
