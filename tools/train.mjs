// `npm run train`: reproduces the bundled model from nothing: data (Chromium), the three
// Flamingo stages (PyTorch), export, the ONNX bundle (the project's builder), evaluation.
// Every step resumes from what an earlier run left in --out.
// Usage: npm run train -- [--out DIR] [--bundle DIR] [--budget-minutes M] [--smoke] [--no-eval]
//   by default the shipped model's recipe: its 6,375 training samples and each stage's number of steps
//   (tools/train/main.py RECIPE), so a rerun gives the same model whatever the machine's speed that day;
//   --budget-minutes M instead scales the data with M and gives each stage a share of M minutes (experiments);
//   --smoke runs every step on a few samples (under two minutes).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: a } = parseArgs({
  options: {
    out: { type: 'string', default: '.cache/train' }, bundle: { type: 'string' },
    'budget-minutes': { type: 'string' }, smoke: { type: 'boolean', default: false },
    'no-eval': { type: 'boolean', default: false },
  },
});
const budget = a['budget-minutes'] === undefined ? undefined : Number(a['budget-minutes']);
if (budget !== undefined && !(budget > 0)) throw new Error(`--budget-minutes must be a positive number, got "${a['budget-minutes']}"`);
const out = a.out;
const bundle = a.bundle ?? join(out, 'bundle');
const python = process.env.PYTHON ?? '/usr/bin/python3';
// Debian's OpenBLAS (OpenMP build, one BLAS thread) is several times faster than the reference BLAS.
// glibc returns freed tensors of a few MB to the kernel and page-faults them back in on the next
// step; on these VMs that was 10-30% of a stage-1 step. Keep them in the heap instead.
const env = {
  ...process.env, LD_LIBRARY_PATH: '/usr/lib/x86_64-linux-gnu/openblas-openmp', OPENBLAS_NUM_THREADS: '1',
  MALLOC_MMAP_THRESHOLD_: String(32 << 20), MALLOC_TRIM_THRESHOLD_: String(16 * 2 ** 30),
};

function step(name, cmd, args) {
  const t0 = Date.now();
  console.log(`train: ${name}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env });
  if (r.status !== 0) throw new Error(`train: step "${name}" failed (exit ${r.status ?? r.signal})`);
  console.log(`train: ${name} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

const trainCount = a.smoke ? 24 : budget ? Math.min(15000, Math.round(75 * budget)) : 6375;
const testCount = a.smoke ? 6 : 300;
const data = join(out, 'data');
step('data (train)', process.execPath, ['tools/datagen/main.mjs', '--out', data, '--split', 'train', '--count', String(trainCount)]);
step('data (test)', process.execPath, ['tools/datagen/main.mjs', '--out', data, '--split', 'test', '--count', String(testCount)]);
step('stages 1-3 and export', python, ['tools/train/main.py', '--data', data, '--work', join(out, 'work'), '--out', join(out, 'weights'),
  '--fixture-out', join(out, 'fixture'), '--gates0-out', join(out, 'weights-gates0'),
  ...(budget ? ['--budget-minutes', String(budget)] : []), ...(a.smoke ? ['--smoke'] : [])]);
step('build (esbuild)', process.execPath, ['esbuild.mjs', '--quiet']);
step('bundle', process.execPath, ['dist/build-model.mjs', '--weights', join(out, 'weights'), '--out', bundle]);
step('bundle with gates at 0', process.execPath, ['dist/build-model.mjs', '--weights', join(out, 'weights-gates0'), '--out', join(out, 'bundle-gates0')]);
if (!a['no-eval']) {
  step('eval', process.execPath, ['tools/eval.mjs', '--bundle', bundle, '--baseline', join(out, 'bundle-gates0'), '--weights', join(out, 'weights'),
    '--data', join(data, 'test'), '--out', join(out, 'eval.json'), ...(a.smoke ? ['--limit', '3', '--fewshot', '1', '--max-tokens', '16'] : [])]);
  // Whether the vision path reads the labels or the LM guesses them (label recall cannot tell).
  step('reading probe', python, ['tools/train/probe_reading.py', '--weights', join(out, 'weights'), '--data', join(data, 'test'),
    '--count', a.smoke ? '3' : '100', '--out', join(out, 'reading.json')]);
}
console.log(`train: done; bundle in ${bundle}`);
