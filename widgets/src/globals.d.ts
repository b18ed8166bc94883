/** The package version, replaced at build by esbuild's `define` from the root package.json (style rule 33). */
declare const __SEGLENS_VERSION__: string;
