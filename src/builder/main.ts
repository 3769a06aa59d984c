// `npm run build-model -- ...`: writes a model bundle.
//   --weights DIR --out DIR                      a weights folder (model-spec §8)
//   --llama2c CKPT --llama2c-tokenizer TOK [--xattn-every N] [--vision JSON] --seed S --out DIR
//                                                a llama2.c LM plus fresh vision, resampler and
//                                                gated cross-attention weights (gates 0)
//   --random CONFIG_JSON --seed S [--tokenizer FILE] --out DIR
//                                                random weights, for benchmarks
// --vision JSON may hold "vision", "resampler" and "xattn" objects replacing the defaults.

import { parseArgs } from 'node:util';
import { writeBundle } from './bundle';
import { fromLlama2c, fromRandom, fromWeightsFolder } from './sources';

const USAGE = `usage:
  build-model --weights DIR --out DIR
  build-model --llama2c CKPT --llama2c-tokenizer TOK [--xattn-every N] [--vision JSON] --seed S --out DIR
  build-model --random CONFIG_JSON --seed S [--tokenizer FILE] --out DIR`;

function main(): void {
  const { values: a } = parseArgs({
    options: {
      weights: { type: 'string' }, llama2c: { type: 'string' }, 'llama2c-tokenizer': { type: 'string' },
      'xattn-every': { type: 'string' }, vision: { type: 'string' }, random: { type: 'string' },
      tokenizer: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean' },
    },
  });
  if (a.help) { console.log(USAGE); return; }
  const modes = [a.weights, a.llama2c, a.random].filter((m) => m !== undefined).length;
  if (modes !== 1 || !a.out) throw new Error(`give exactly one of --weights, --llama2c, --random, and --out\n${USAGE}`);
  const seed = a.seed === undefined ? 0 : integer(a.seed, '--seed');

  const started = performance.now();
  const input = a.weights ? fromWeightsFolder(a.weights)
    : a.llama2c ? fromLlama2c(a.llama2c, need(a['llama2c-tokenizer'], '--llama2c-tokenizer'), {
      xattnEvery: a['xattn-every'] === undefined ? undefined : integer(a['xattn-every'], '--xattn-every'), visionJson: a.vision, seed,
    })
    : fromRandom(a.random!, seed, a.tokenizer);
  const summary = writeBundle(a.out, input);

  console.log(`wrote ${a.out} ("${input.name}")`);
  for (const f of summary.files) console.log(`  ${f.path.padEnd(24)} ${formatBytes(f.size).padStart(10)}`);
  const p = summary.parameters;
  console.log(`parameters: vision ${p.vision}, resampler ${p.resampler}, lm ${p.lm}, xattn ${p.xattn}, total ${p.vision + p.resampler + p.lm + p.xattn}`);
  for (const [name, g] of Object.entries(summary.graphs)) console.log(`  ${name}: ${g.nodes} nodes; ops ${g.ops.join(', ')}`);
  console.log(`done in ${((performance.now() - started) / 1000).toFixed(2)} s`);
}

function need(v: string | undefined, flag: string): string {
  if (v === undefined) throw new Error(`${flag} is required\n${USAGE}`);
  return v;
}

function integer(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} must be a non-negative integer, got "${v}"`);
  return n;
}

function formatBytes(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(2)} MB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KB` : `${n} B`;
}

try {
  main();
} catch (e) {
  console.error(`build-model: ${(e as Error).message}`);
  process.exitCode = 1;
}
