/** One benchmark number: an element of what `npm run bench -- --json FILE` writes (README.md, Benchmarks). */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  /** The same work in the Python pipeline, when it could be run. */
  reference?: number;
  /** reference / value: > 1 means seglens is faster. */
  ratio?: number;
}
