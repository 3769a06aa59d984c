// Times the graphs of int8_conv.py, fp32 against int8, on onnxruntime-node and onnxruntime-web
// WASM, one thread each: median and min of 40 runs after 20.
//   node bench/probes/int8-conv.mjs      (writes the graphs to a temporary folder first)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'int8-conv-'));
execFileSync('/usr/bin/python3', [new URL('int8_conv.py', import.meta.url).pathname, dir], { stdio: 'inherit' });
const runtimes = { 'onnxruntime-node': await import('onnxruntime-node'), 'onnxruntime-web WASM': await import('onnxruntime-web') };
runtimes['onnxruntime-web WASM'].env.wasm.numThreads = 1;
console.log('| graph | runtime | fp32 ms | int8 ms | fp32 / int8 |\n|---|---|---|---|---|');
for (const name of [...new Set(readdirSync(dir).map((f) => f.split('.')[0]))].sort()) {
  for (const [label, ort] of Object.entries(runtimes)) {
    const ms = {};
    for (const kind of ['fp32', 'int8']) {
      const session = await ort.InferenceSession.create(readFileSync(join(dir, `${name}.${kind}.onnx`)), {
        executionProviders: [label === 'onnxruntime-node' ? 'cpu' : 'wasm'], intraOpNumThreads: 1, graphOptimizationLevel: 'all',
      });
      const dims = session.inputMetadata[0].shape;
      const x = new ort.Tensor('float32', Float32Array.from({ length: dims.reduce((a, b) => a * b) }, (_, i) => Math.sin(i)), dims);
      const times = [];
      for (let r = 0; r < 60; r++) { const t0 = performance.now(); await session.run({ x }); if (r >= 20) times.push(performance.now() - t0); }
      times.sort((a, b) => a - b);
      ms[kind] = { median: times[times.length >> 1], min: times[0] };
      await session.release();
    }
    const f = (s) => `${s.median.toFixed(2)} (min ${s.min.toFixed(2)})`;
    console.log(`| ${name} | ${label} | ${f(ms.fp32)} | ${f(ms.int8)} | ${(ms.fp32.median / ms.int8.median).toFixed(2)} |`);
  }
}
rmSync(dir, { recursive: true, force: true });
