/** One benchmark number (design §6 `npm run bench -- --json FILE`). */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  /** The same work in the Python pipeline, when it could be run. */
  reference?: number;
  /** reference / value: > 1 means seglens is faster. */
  ratio?: number;
}
