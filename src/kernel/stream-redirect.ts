/**
 * Sends what cells write to `process.stdout`/`process.stderr` to the front end as `stream`
 * messages. Writes are grouped per tick (a loop of `console.log` becomes one message, not
 * thousands: Jupyter Server drops IOPub traffic above ~1000 messages/s).
 */

/** Delivers text for the current request; returns false when there is none (write to the terminal). Called with "" only to ask. */
export type StreamSink = (name: "stdout" | "stderr", text: string) => boolean;

/** Replaces both streams' `write`; returns a function that restores them. */
export function redirectStreams(sink: StreamSink): () => void {
  const restores = (["stdout", "stderr"] as const).map((name) => {
    const stream = process[name];
    const original = stream.write;
    const decoder = new TextDecoder();
    let pending = "";
    let scheduled = false;
    const flush = (): void => {
      scheduled = false;
      const text = pending;
      pending = "";
      if (text !== "" && !sink(name, text)) original.call(stream, text);
    };
    // A replacement of an overloaded Node API: the signature is Node's, narrowed on the first line.
    stream.write = ((chunk: unknown, ...rest: unknown[]): boolean => {
      const text =
        typeof chunk === "string"
          ? chunk
          : chunk instanceof Uint8Array
            ? decoder.decode(chunk)
            : String(chunk);
      if (!sink(name, "")) return original.call(stream, text);
      pending += text;
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
      const callback = rest.find((arg) => typeof arg === "function") as (() => void) | undefined;
      callback?.();
      return true;
    }) as typeof stream.write;
    return () => {
      stream.write = original;
    };
  });
  return () => {
    for (const restore of restores) restore();
  };
}
