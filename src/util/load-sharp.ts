import type SharpFactory from "sharp";

/** sharp, loaded on first use: importing seglens must not load native modules. */
export function loadSharp(): typeof SharpFactory {
  return require("sharp") as typeof SharpFactory;
}
