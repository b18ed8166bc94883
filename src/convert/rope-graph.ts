import type { GraphBuilder } from "../onnx/onnx-builder";
import { ropeTables, timmCatRopeTables } from "./rope";
import { prefixTokens, sequenceLength, type VitSpec } from "./vit-spec";

/** The constants one model's RoPE nodes share: the tables and how a head's channels pair up. */
export interface RopeConstants {
  cos: string;
  sin: string;
  pairs: HalfPairs | NeighbourPairs;
}

/** Channel i with i + headDim/2 (DINOv3): Slice inputs for the two halves along axis 3. */
interface HalfPairs {
  kind: "half";
  axis: string;
  starts: [first: string, second: string];
  ends: [first: string, second: string];
}

/** Channel 2j with 2j + 1 (timm): each channel's partner, and the sign it enters with. */
interface NeighbourPairs {
  kind: "neighbours";
  partners: string;
  signs: string;
}

/**
 * The RoPE tables of `spec` for its grid, as initializers (rows for the prefix tokens are cos 1,
 * sin 0: RoPE leaves them as they are), or undefined for a model without RoPE.
 */
export function ropeConstants(g: GraphBuilder, spec: VitSpec): RopeConstants | undefined {
  const rope = spec.rope;
  if (rope === undefined) return undefined;
  const headDim = spec.hiddenSize / spec.heads;
  const prefix = prefixTokens(spec);
  const { cos, sin } =
    rope.kind === "dinov3"
      ? ropeTables(spec.grid, headDim, rope.theta, prefix)
      : timmCatRopeTables(spec.grid, headDim, rope, prefix);
  const dims = [sequenceLength(spec), headDim];
  const tables = { cos: g.weight("rope.cos", dims, cos), sin: g.weight("rope.sin", dims, sin) };
  if (rope.kind === "dinov3") {
    const half = headDim / 2;
    return {
      ...tables,
      pairs: {
        kind: "half",
        axis: g.int64s("rope.axis", [3]),
        starts: [g.int64s("rope.start0", [0]), g.int64s("rope.start1", [half])],
        ends: [g.int64s("rope.end0", [half]), g.int64s("rope.end1", [headDim])],
      },
    };
  }
  const partners = Array.from({ length: headDim }, (_, i) => i ^ 1);
  const signs = Float32Array.from({ length: headDim }, (_, i) => (i % 2 === 0 ? -1 : 1));
  return {
    ...tables,
    pairs: {
      kind: "neighbours",
      partners: g.int64s("rope.partners", partners),
      signs: g.weight("rope.signs", [headDim], signs),
    },
  };
}

/**
 * `x·cos + rotated(x)·sin` on `[batch, heads, tokens, headDim]`, in PyTorch's operator order:
 * rotated(x) = [−x₂, x₁] for halves (transformers' `rotate_half`), [−x₁, x₀, −x₃, x₂, …] for
 * neighbours (timm's `rot`, as a Gather and a multiplication by ±1, both exact).
 */
export function applyRope(g: GraphBuilder, rope: RopeConstants, x: string): string {
  const rotated =
    rope.pairs.kind === "half" ? rotateHalves(g, rope.pairs, x) : rotateNeighbours(g, rope.pairs, x);
  const [a] = g.node("Mul", [x, rope.cos]);
  const [b] = g.node("Mul", [rotated, rope.sin]);
  return g.node("Add", [a as string, b as string])[0] as string;
}

function rotateHalves(g: GraphBuilder, pairs: HalfPairs, x: string): string {
  const [first] = g.node("Slice", [x, pairs.starts[0], pairs.ends[0], pairs.axis]);
  const [second] = g.node("Slice", [x, pairs.starts[1], pairs.ends[1], pairs.axis]);
  const [negated] = g.node("Neg", [second as string]);
  return g.node("Concat", [negated as string, first as string], { axis: 3 })[0] as string;
}

function rotateNeighbours(g: GraphBuilder, pairs: NeighbourPairs, x: string): string {
  const [swapped] = g.node("Gather", [x, pairs.partners], { axis: 3 });
  return g.node("Mul", [swapped as string, pairs.signs])[0] as string;
}
