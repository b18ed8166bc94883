import ort from "/work/main/node_modules/onnxruntime-node/dist/index.js";
const path = "/root/.cache/seglens/graphs/a1249842260b611ea83b1c87-93ad7943/model.onnx";
const extra = process.argv[2] === "noprepack" ? { extra: { session: { disable_prepacking: "1" } } } : {};
const c0 = process.cpuUsage(); const s0 = performance.now();
const s = await ort.InferenceSession.create(path, { intraOpNumThreads: 2, logSeverityLevel: 4, ...extra });
const open = performance.now() - s0; const c1 = process.cpuUsage(c0);
const data = new Float32Array(4*3*224*224).map(() => Math.random());
const runs = [];
for (let i = 0; i < 6; i++) { const t = performance.now(); await s.run({ pixel_values: new ort.Tensor("float32", data, [4,3,224,224]) }); runs.push((performance.now() - t).toFixed(0)); }
const c2 = process.cpuUsage(c0);
console.log(process.argv[2] ?? "default", process.env.GLIBC_TUNABLES ?? "", "open", open.toFixed(0), "open cpu", ((c1.user+c1.system)/1000).toFixed(0), "runs", runs.join(" "), "total cpu", ((c2.user+c2.system)/1000).toFixed(0));
