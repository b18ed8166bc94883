/** The package version, replaced at build by esbuild's `define` from the root package.json. */
declare const __SEGLENS_VERSION__: string;
