// The benchmark driver: prepares models and inputs, runs each backend in its own process
// (Node workers, the PyTorch peer, Chromium), then prints the tables and writes bench/results.md.
// Usage (through bench/run.mjs): npm run bench [-- --quick] [-- --skip browser,peer,big]
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureImages } from './inputs';
import { matmulModel } from './matmul';
import { prepareModels, type ModelCase } from './models';
import { runBrowser, type BrowserRun } from './browser-runner';
import { runPeer, type PeerRun } from './peer-runner';
import { machineInfo, memoryBandwidth } from './machine';
import { report, type ModelRuns, type WorkerRun } from './report';

const { values: a } = parseArgs({ options: { quick: { type: 'boolean', default: false }, skip: { type: 'string', default: '' } } });
const skip = new Set(a.skip!.split(',').filter(Boolean));
const quick = a.quick!;
const WORK = 'out/bench';
const MATMUL_N = 1024;

export interface Plan {
  warmup: number; reps: number; contexts: number[]; tokens: number; sweep: number[];
  nodeThreads: number[]; wasmThreads: number[]; peerThreads: number[]; browserBackends: ('wasm' | 'webgpu')[]; browserTimeoutS: number;
  bigReps: number; // the bigger config's runs are slow: fewer of them
}
const plan: Plan = quick
  ? { warmup: 1, reps: 1, contexts: [32, 512, 1024], tokens: 8, sweep: [0.5, 1, 2], nodeThreads: [1], wasmThreads: [1], peerThreads: [1],
    browserBackends: ['wasm'], browserTimeoutS: 90, bigReps: 1 }
  : { warmup: 1, reps: 4, contexts: [32, 64, 128, 256, 512, 1024], tokens: 32, sweep: [0.5, 1, 2], nodeThreads: [availableParallelism(), 1], wasmThreads: [1, 2], peerThreads: [1, 2],
    browserBackends: ['wasm', 'webgpu'], browserTimeoutS: 240, bigReps: 2 };

const repsFor = (model: ModelCase) => (model.key === 'big' ? plan.bigReps : plan.reps);
const log = (s: string) => console.error(`bench: ${s}`);
const load1 = () => loadavg()[0];

function runWorker(model: ModelCase, backend: 'node' | 'wasm', threads: number, images: string[], matmulFile: string, matmulFlops: number, dump?: string): WorkerRun {
  const out = join(WORK, 'runs', `${model.key}-${backend}-${threads}.json`);
  log(`${model.key}: ${backend}, ${threads} thread${threads > 1 ? 's' : ''}`);
  const loadBefore = load1();
  const started = performance.now();
  const args = ['out/bench/worker.mjs', '--bundle', model.bundleDir, '--backend', backend, '--threads', String(threads), '--images', images.join(','),
    '--matmul', matmulFile, '--matmul-flops', String(matmulFlops), '--contexts', plan.contexts.join(','), '--reps', String(repsFor(model)),
    '--warmup', String(plan.warmup), '--tokens', String(plan.tokens), '--out', out, '--sweep', plan.sweep.join(','), ...(dump ? ['--dump', dump] : [])];
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`worker ${model.key}/${backend}/${threads} failed (exit ${r.status ?? r.signal})`);
  const result = JSON.parse(readFileSync(out, 'utf8'));
  const wallS = (performance.now() - started) / 1000;
  log(`  done in ${wallS.toFixed(0)} s`);
  return { ...result, loadBefore, loadAfter: load1(), wallS };
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const loadStart = load1();
  mkdirSync(join(WORK, 'runs'), { recursive: true });
  const machine = machineInfo();
  log(`machine: ${machine.cpu}, load ${loadStart.toFixed(2)}; ${quick ? 'quick' : 'full'} run`);
  const images = await ensureImages(join(WORK, 'images'));
  const mm = matmulModel(MATMUL_N);
  const matmulFile = join(WORK, 'matmul.onnx');
  writeFileSync(matmulFile, mm.bytes);
  const bandwidth = memoryBandwidth(quick ? 3 : 7);
  const models = prepareModels(WORK, log).filter((m) => !(skip.has('big') && m.key === 'big'));

  const runs: ModelRuns[] = [];
  for (const model of models) {
    log(`${model.label}: ${Number.isFinite(model.parameters) ? `${(model.parameters / 1e6).toFixed(1)} M` : 'unknown'} parameters`);
    const dump = join(WORK, 'runs', `${model.key}-inputs`);
    // The first worker also writes the inputs the peer reuses (pixels, prompt, greedy tokens).
    const workers: WorkerRun[] = [
      ...plan.nodeThreads.map((t, i) => runWorker(model, 'node', t, images, matmulFile, mm.flops, i === 0 ? dump : undefined)),
      ...plan.wasmThreads.map((t) => runWorker(model, 'wasm', t, images, matmulFile, mm.flops)),
    ];
    const peer: PeerRun | undefined = skip.has('peer') ? undefined : runPeer(model, dump, images, { ...plan, reps: repsFor(model) }, log);
    // Chromium runs the bundled model only: SwiftShader would take minutes over the bigger one.
    const browser: BrowserRun[] = skip.has('browser') || model.key === 'big' ? [] : await runBrowser(model, images, matmulFile, mm.flops, plan, plan.browserTimeoutS, log);
    runs.push({ model, workers, peer, browser });
  }
  const markdown = report({ machine, plan, quick, bandwidth, runs, matmulN: MATMUL_N, totalS: (performance.now() - t0) / 1000, loadStart, loadEnd: load1() });
  console.log(markdown);
  writeFileSync('bench/results.md', markdown);
  log(`wrote bench/results.md in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

main().catch((e) => {
  console.error(`bench: ${(e as Error).stack ?? e}`);
  process.exitCode = 1;
});
