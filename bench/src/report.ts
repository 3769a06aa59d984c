// The markdown report: header (machine, versions, threads, load), then per model the stage,
// backend, peer, roofline and growth tables, then the goals of issue 5 with what was measured.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { visionGrid, type FlamingoConfig } from '../../src/flamingo/config';
import type { BrowserRun } from './browser-runner';
import { decoderWork, resamplerWork, visionWork, type Work } from './flops';
import type { MachineInfo } from './machine';
import type { SweepPoint } from './node-worker';
import type { Plan } from './main';
import type { ModelCase } from './models';
import type { PeerMode, PeerRun } from './peer-runner';
import { WARM_UP_ROUNDS } from '../../src/flamingo/index';
import { decodeStepReps, wholeRequestReps, type StageResults } from './stages';
import type { Repetitions, Sample } from './stats';

export type WorkerRun = Omit<StageResults, 'pixels'> & {
  backend: 'node' | 'wasm'; threads: number; rssBeforeModel: number; peakRssAfterEngine: number; sweep: SweepPoint[];
  loadBefore: number; loadAfter: number; wallS: number;
};
export interface ModelRuns { model: ModelCase; workers: WorkerRun[]; peer?: PeerRun; browser: BrowserRun[] }
export interface ReportInput {
  machine: MachineInfo; plan: Plan; quick: boolean; bandwidth: Sample; runs: ModelRuns[]; matmulN: number; totalS: number;
  loadStart: number; loadEnd: number;
}

const LOADED = 1.5;

/** One column of our measurements (a backend in one process) as the tables read it. */
interface Column {
  id: string; label: string; samples: Record<string, Sample>; contextsUsed: Record<number, number>;
  loadBefore: number; loadAfter: number; run?: Omit<StageResults, 'pixels'>; peakRssMb?: number; baseRssMb?: number; note?: string; retried?: string;
}

// ---- formatting -------------------------------------------------------------------------------

const num = (x: number) => (!Number.isFinite(x) ? '–' : Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : Math.abs(x) >= 1 ? x.toFixed(2) : x.toFixed(3));
const ms = (s?: Sample) => (s ? `${num(s.median)} (${num(s.min)}–${num(s.max)})` : '–');
const perSecond = (s?: Sample) => (s ? `${num(1000 / s.median)} (${num(1000 / s.max)}–${num(1000 / s.min)})` : '–');
const ratio = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)}` : '–');
const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(x < 0.1 ? 1 : 0)}%` : '–');
const giga = (x: number) => (x >= 1e9 ? `${(x / 1e9).toFixed(2)} G` : x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : `${(x / 1e3).toFixed(1)} k`);
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const loadMark = (before: number, after: number) => `${before.toFixed(1)} → ${after.toFixed(1)}${Math.max(before, after) > LOADED ? ' ⚠' : ''}`;

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

// ---- columns -----------------------------------------------------------------------------------

function columnsOf(m: ModelRuns): Column[] {
  const cols: Column[] = m.workers.map((w) => ({
    id: `${w.backend}-${w.threads}`,
    label: w.backend === 'node' ? `onnxruntime-node, ${w.threads} thread${w.threads > 1 ? 's' : ''}`
      : `ort-web WASM in Node, ${w.threads} thread${w.threads > 1 ? 's' : ''}`,
    samples: w.samples, contextsUsed: w.contextsUsed, loadBefore: w.loadBefore, loadAfter: w.loadAfter, run: w,
    peakRssMb: w.peakRssAfterEngine / 2 ** 20, baseRssMb: w.rssBeforeModel / 2 ** 20,
  }));
  for (const b of m.browser) {
    const label = b.backend === 'wasm' ? 'ort-web WASM in Chromium, 1 thread' : `ort-web WebGPU in Chromium (${b.result?.adapter ?? 'SwiftShader'}: software GPU)`;
    cols.push({
      id: `chromium-${b.backend}`, label, samples: b.result?.samples ?? {}, contextsUsed: b.result?.contextsUsed ?? {},
      loadBefore: b.loadBefore, loadAfter: b.loadAfter, run: b.result, note: b.error ? `failed: ${b.error}` : undefined,
      retried: b.retriedAfter,
    });
  }
  return cols;
}

/** Per stage, the PyTorch setting (dtype, threads) with the lowest median, as a column. */
function peerBest(peer: PeerRun | undefined): (Column & { chosen: Record<string, string> }) | undefined {
  const modes = peer?.result?.modes;
  if (!peer || !modes) return undefined;
  const samples: Record<string, Sample> = {}, chosen: Record<string, string> = {};
  for (const [mode, r] of Object.entries(modes)) {
    for (const [k, s] of Object.entries(r.samples)) {
      if (!samples[k] || s.median < samples[k].median) { samples[k] = s; chosen[k] = mode; }
    }
  }
  const first = Object.values(modes)[0];
  return {
    id: 'torch', label: 'PyTorch eager, best setting per stage', samples, chosen,
    contextsUsed: Object.fromEntries(Object.entries(first.contexts_used).map(([k, v]) => [Number(k), v])),
    loadBefore: peer.loadBefore, loadAfter: peer.loadAfter,
  };
}

/** The backend's peak: its fastest run of the large n x n x n MatMul. */
function peakGflops(c: Column, n: number): number {
  return (2 * n ** 3) / (c.samples['peak.matmul'].min * 1e6);
}

// ---- sections ----------------------------------------------------------------------------------

function describeModel(m: ModelCase): string {
  const c = m.config;
  const [gh, gw] = visionGrid(c.vision);
  const pre = JSON.parse(readFileSync(join(m.bundleDir, 'manifest.json'), 'utf8')).preprocess as { tiles: { rows: number; cols: number; global: boolean } | null };
  const frames = framesPerScreenshot(m);
  const params = Number.isFinite(m.parameters) ? `${(m.parameters / 1e6).toFixed(1)} M parameters` : 'Parameters unknown (no weights folder)';
  return `${params}. Vision: NFNet at ${c.vision.image_size.join('x')} -> ${gh}x${gw} positions x ${c.vision.nfnet?.stages.at(-1)?.channels} channels;`
    + ` a screenshot is ${frames} frame${frames > 1 ? 's' : ''}${pre.tiles ? ` (global view + ${pre.tiles.rows}x${pre.tiles.cols} tiles)` : ''}.`
    + ` Resampler: ${c.resampler.depth} layers, ${c.resampler.num_latents} latents. LM: ${c.lm.n_layers} layers, dim ${c.lm.dim}, ${c.lm.n_heads} heads`
    + ` (${c.lm.n_kv_heads} KV), vocab ${c.lm.vocab_size}, ${c.lm.max_seq_len} positions. Gated cross-attention before every ${c.xattn.every === 1 ? '' : `${c.xattn.every}th `}layer.`;
}

function framesPerScreenshot(m: ModelCase): number {
  const pre = JSON.parse(readFileSync(join(m.bundleDir, 'manifest.json'), 'utf8')).preprocess as { tiles: { rows: number; cols: number; global: boolean } | null };
  return pre.tiles ? pre.tiles.rows * pre.tiles.cols + (pre.tiles.global ? 1 : 0) : 1;
}

function stageRows(m: ModelRuns, plan: Plan, first: Column | undefined): [string, (c: Column) => string][] {
  const F = framesPerScreenshot(m.model);
  const ctx = (c: Column, k: number) => (c.contextsUsed[k] !== undefined && c.contextsUsed[k] !== k ? ` [at ${c.contextsUsed[k]}]` : '');
  const rows: [string, (c: Column) => string][] = [
    ['model load: read + sha256 of the bundle', (c) => ms(c.samples['load.read'])],
    ['model load: session creation (3 graphs)', (c) => ms(c.samples['load.create'])],
    [`engine warm-up after load: ${WARM_UP_ROUNDS} throw-away answers, once (timed: 1 run)`, (c) => ms(c.samples['engine.warmup'])],
    ['PNG decode 1280x800', (c) => ms(c.samples['image.decode.1280x800'])],
    [`preprocess 1280x800 (${F} views)`, (c) => ms(c.samples['image.preprocess.1280x800'])],
    ['PNG decode 1920x1080', (c) => ms(c.samples['image.decode.1920x1080'])],
    [`preprocess 1920x1080 (${F} views)`, (c) => ms(c.samples['image.preprocess.1920x1080'])],
    [`vision encoder (${F} frames)`, (c) => ms(c.samples['graph.vision'])],
    ['resampler + cross-attn K/V projection', (c) => ms(c.samples['graph.resampler'])],
    ['encode one screenshot (engine: preprocess + vision + resampler)', (c) => ms(c.samples['engine.encode'])],
    ['prefill, 64-token prompt', (c) => ms(c.samples['graph.prefill64'])],
    ['time to first token (engine: encode + prefill 64 + first token)', (c) => ms(c.samples['engine.ttft'])],
  ];
  for (const k of [32, 512]) {
    rows.push([`decode step at ${k} tokens of context, ms/token`, (c) => ms(c.samples[`graph.decode@${k}`]) + ctx(c, k)]);
    rows.push([`decode at ${k} tokens of context, tokens/s`, (c) => perSecond(c.samples[`graph.decode@${k}`])]);
  }
  rows.push(
    [`engine: greedy answer, 64-token prompt + ${plan.tokens} tokens, ms (tokens made)`, (c) => ms(c.samples['engine.generate']) + (c.run ? ` (${c.run.generated.length})` : '')],
    ['engine: decode tokens/s in that answer', (c) => (c.run ? num(c.run.decodeTokensPerSecond) : '–')],
    ['4-frame recording: encode (engine)', (c) => ms(c.samples['engine.recording4'])],
    ['3-image few-shot prompt: encode 3 + prefill (engine; prompt tokens)', (c) => ms(c.samples['engine.fewshot3']) + (c.run?.fewShot ? ` (${c.run.fewShot.promptTokens})` : '')],
    ['second question, same image: encode + prefill (engine)', (c) => ms(c.samples['engine.second_question'])],
    ['peak RSS after the engine phase, the bundle\'s file bytes included (the process before loading)', (c) => (c.peakRssMb ? `${c.peakRssMb.toFixed(0)} MB (${c.baseRssMb!.toFixed(0)} MB)` : '–')],
    [`greedy tokens agree with ${'the first column'}`, (c) => (c.run && first?.run ? sameTokens(first.run.generated, c.run.generated) : '–')],
    ['1-min load average before → after', (c) => loadMark(c.loadBefore, c.loadAfter)],
  );
  return rows;
}

function stagesSection(m: ModelRuns, cols: Column[], plan: Plan): string {
  const torch = peerBest(m.peer);
  const all = torch ? [...cols, torch] : cols;
  const rows = stageRows(m, plan, cols[0]).map(([label, f]) => [label, ...all.map((c) => (label.startsWith('1-min') || label.startsWith('peak') || !c.note ? f(c) : '–'))]);
  const failed = [
    ...all.filter((c) => c.note).map((c) => `- ${c.label}: ${c.note}`),
    ...all.filter((c) => c.retried).map((c) => `- ${c.label}: the first attempt ended with "${c.retried}"; these figures are from a second attempt in a fresh browser.`),
  ];
  return [table(['stage (ms: median (min–max))', ...all.map((c) => c.label)], rows), ...(failed.length ? ['', ...failed] : [])].join('\n');
}

const PEER_STAGES: [string, string][] = [
  ['vision encoder', 'graph.vision'], ['resampler + K/V projection', 'graph.resampler'], ['prefill 64 tokens', 'graph.prefill64'],
  ['decode step at 32', 'graph.decode@32'], ['decode step at 512', 'graph.decode@512'],
  ['time to first token (from pixels)', 'ttft-from-pixels'], ['time to first token incl. preprocessing', 'ttft-with-preprocess'], ['greedy answer', 'engine.generate'],
  ['4-frame recording (ours: incl. preprocessing)', 'engine.recording4'],
];

/** The peer's figure for a stage; composite ones add the preprocessing median. */
function peerStage(peer: Column & { chosen: Record<string, string> }, key: string): { sample?: Sample; how: string } {
  if (key === 'ttft-from-pixels') return { sample: peer.samples['engine.ttft'], how: peer.chosen['engine.ttft'] };
  if (key === 'ttft-with-preprocess') {
    const t = peer.samples['engine.ttft'], p = peer.samples['image.preprocess.1280x800'];
    return t && p ? { sample: { median: t.median + p.median, min: t.min + p.min, max: t.max + p.max, n: t.n }, how: `${peer.chosen['engine.ttft']} + PIL` } : { how: '' };
  }
  return { sample: peer.samples[key], how: peer.chosen[key] };
}

/** Ours for a peer stage: time to first token from pixels = vision + resampler + prefill (graph medians). */
function oursStage(c: Column, key: string): Sample | undefined {
  if (key === 'ttft-from-pixels') {
    const parts = ['graph.vision', 'graph.resampler', 'graph.prefill64'].map((k) => c.samples[k]);
    if (parts.some((p) => !p)) return undefined;
    return { median: parts.reduce((n, p) => n + p!.median, 0), min: parts.reduce((n, p) => n + p!.min, 0), max: parts.reduce((n, p) => n + p!.max, 0), n: parts[0]!.n };
  }
  if (key === 'ttft-with-preprocess') return c.samples['engine.ttft'];
  return c.samples[key];
}

function peerSection(m: ModelRuns, cols: Column[], plan: Plan): string {
  const peer = m.peer;
  if (!peer?.result) return `PyTorch peer not run: ${peer?.error ?? 'skipped (--skip peer)'}.`;
  const best = peerBest(peer)!;
  const ours = cols.filter((c) => !c.note && c.id !== 'chromium-webgpu');
  const modes = Object.entries(peer.result.modes);
  const rows = PEER_STAGES.map(([label, key]) => {
    const p = peerStage(best, key);
    return [label, ...modes.map(([, mode]) => ms(peerStage({ ...best, samples: mode.samples, chosen: {} }, key).sample)), `${ms(p.sample)} ${p.how}`,
      ...ours.map((c) => { const o = oursStage(c, key); return o && p.sample ? `${ms(o)} → **${ratio(o.median / p.sample.median)}**` : '–'; })];
  });
  const ourTokens = m.workers[0].generated;
  const agree = modes.map(([name, mode]) => `${name}: ${sameTokens(ourTokens, mode.generated)}`).join('; ');
  return [
    `PyTorch ${peer.result.torch}, eager, the trainer's modules (tools/train/model.py) with a KV cache, \`torch.inference_mode()\`, BLAS: ${peer.result.blas} (OpenMP build, OPENBLAS_NUM_THREADS=1), threads ${peer.threads.join(' and ')}, fp32 and bf16 autocast; the best of these per stage is the reference. Its cached decoder matches the trainer's full forward pass to ${peer.result.cached_vs_full_max_abs_diff.toExponential(1)} (max abs logit difference). Same weights (safetensors; the bundled model's read back out of its bundle by tools/weights_from_bundle.py, whose NFNet convs are an equivalent reparameterisation of the standardised weights), same pixels (ours), same 64-token prompt.`,
    `Load before → after: ${loadMark(peer.loadBefore, peer.loadAfter)}. "ours → r": r = ours / PyTorch best (below 1: ours faster; the goal on onnxruntime-node is 0.5 or less).`,
    '',
    table(['stage (ms)', ...modes.map(([k]) => `PyTorch ${k}`), 'PyTorch best', ...ours.map((c) => `${c.label} → ours/PyTorch`)], rows),
    '',
    `Greedy tokens (${plan.tokens} at most), ours (${cols[0].label}) against PyTorch: ${agree}. PyTorch's own 1024x1024 MatMul: ${modes.map(([k, mode]) => `${k} ${num(mode.matmul_gflops)} GFLOP/s`).join(', ')}.`,
  ].join('\n');
}

function sameTokens(a: number[], b: number[]): string {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return `**differ** at token ${i + 1} (${a[i]} vs ${b[i]})`;
  return a.length === b.length ? `identical (${n} tokens)` : `first ${n} identical (${a.length} vs ${b.length} tokens made)`;
}

interface RooflineStage { label: string; key: string; work: Work }

function rooflineStages(m: ModelCase, contexts: number[], used: Record<number, number>): RooflineStage[] {
  const c = m.config, F = framesPerScreenshot(m);
  return [
    { label: `vision encoder (${F} frames)`, key: 'graph.vision', work: visionWork(c, F) },
    { label: 'resampler + K/V projection', key: 'graph.resampler', work: resamplerWork(c, F) },
    { label: 'prefill 64 tokens', key: 'graph.prefill64', work: decoderWork(c, 64, 0) },
    ...contexts.map((k) => ({ label: `decode step at ${used[k] ?? k}`, key: `graph.decode@${k}`, work: decoderWork(c, 1, used[k] ?? k) })),
  ];
}

function rooflineSection(m: ModelRuns, cols: Column[], bandwidth: Sample, matmulN: number): { text: string; below: string[] } {
  const picks = cols.filter((c) => (c.id.startsWith('node') || c.id === 'wasm-1') && c.samples['peak.matmul']);
  const bw = bandwidth.max * 1e9;
  const below: string[] = [];
  const stages = rooflineStages(m.model, [32, 512], cols[0]?.contextsUsed ?? {});
  const rows = stages.map((s) => {
    let bestNode = 0;
    const cells = picks.map((c) => {
      const t = c.samples[s.key]?.median;
      if (t === undefined) return '–';
      const bound = Math.max(s.work.flops / (peakGflops(c, matmulN) * 1e9), s.work.bytes / bw) * 1000;
      const fraction = bound / t;
      if (c.id.startsWith('node')) bestNode = Math.max(bestNode, fraction);
      return `${num((s.work.flops / (t * 1e6)))} GFLOP/s, ${pct(fraction)}`;
    });
    if (bestNode < 0.3) below.push(`${s.label} (${pct(bestNode)})`);
    const ai = s.work.flops / s.work.bytes;
    return [s.label, giga(s.work.flops), mb(s.work.bytes), ai.toFixed(1), ...cells];
  });
  const peaks = picks.map((c) => `${c.label}: ${num(peakGflops(c, matmulN))} GFLOP/s`).join('; ');
  return {
    text: [
      `Peak compute: a ${matmulN}x${matmulN}x${matmulN} fp32 MatMul on the same backend (${peaks}). Peak bandwidth: ${num(bandwidth.max)} GB/s (runs: ${num(bandwidth.min)}–${num(bandwidth.max)}), one thread copying 256 MB (two threads can move more, so a memory-bound stage run with 2 threads can pass 100%). Peaks are the best run (of 30 or more for the MatMul), not the median.`
      + ' Work: the FLOPs the algorithm needs (causal attention counted once, logits for the last position only) and the bytes it must move at least (weights once, layer inputs and outputs, KV cache and visual K/V read once).'
      + ' Fraction = max(FLOPs / peak, bytes / bandwidth) / measured median: 100% is the roofline.',
      '',
      table(['stage', 'FLOPs', 'bytes', 'FLOP/byte', ...picks.map((c) => `${c.label}: achieved, fraction of roofline`)], rows),
    ].join('\n'),
    below,
  };
}

function growthSection(m: ModelRuns, cols: Column[], plan: Plan): string {
  const torch = peerBest(m.peer);
  const all = [...cols.filter((c) => !c.note), ...(torch ? [torch] : [])];
  const base = cols[0]?.contextsUsed ?? {};
  const w32 = decoderWork(m.model.config, 1, base[32] ?? 32);
  const seen = new Set<number>();
  const rows: string[][] = [];
  for (const k of plan.contexts) {
    const used = base[k] ?? k;
    if (seen.has(used)) continue; // contexts past the model's positions collapse onto its last one
    seen.add(used);
    const w = decoderWork(m.model.config, 1, used);
    rows.push([String(used), ...all.map((c) => {
      const s = c.samples[`graph.decode@${k}`], s32 = c.samples['graph.decode@32'];
      return s && s32 ? `${num(s.median)} (x${(s.median / s32.median).toFixed(2)})` : '–';
    }), `x${(w.flops / w32.flops).toFixed(2)} / x${(w.bytes / w32.bytes).toFixed(2)}`]);
  }
  const sweepCols = m.workers.filter((w) => w.sweep.length);
  const sweepRows = (sweepCols[0]?.sweep ?? []).map((p, i) => {
    const work = visionWork(m.model.config, 1, p.imageSize);
    const first = visionWork(m.model.config, 1, sweepCols[0].sweep[0].imageSize);
    return [`${p.imageSize[0]}x${p.imageSize[1]}`, giga(work.flops), `x${(work.flops / first.flops).toFixed(2)}`,
      ...sweepCols.map((w) => `${num(w.sweep[i].sample.median)} (x${(w.sweep[i].sample.median / w.sweep[0].sample.median).toFixed(2)})`)];
  });
  return [
    'Decode step, ms per token against context length (x: relative to 32 tokens), and what the algorithm implies (FLOPs ratio / bytes ratio):',
    '',
    table(['context', ...all.map((c) => c.label), 'algorithm: FLOPs / bytes'], rows),
    '',
    'Vision encoder, one frame, against its input size (the graph has a fixed input size: each size is its own graph with the same widths; ms, x relative to the smallest):',
    '',
    table(['input H x W', 'FLOPs', 'FLOPs ratio', ...sweepCols.map((w) => columnsOf({ ...m, workers: [w], browser: [] })[0].label)], sweepRows),
  ].join('\n');
}

// ---- goals -------------------------------------------------------------------------------------

function goalsSection(r: ReportInput, belowByModel: Map<string, string[]>): string {
  const parts: string[] = [];
  for (const m of r.runs) {
    const cols = columnsOf(m).filter((c) => !c.note && c.id !== 'chromium-webgpu');
    const torch = peerBest(m.peer);
    const speedup = (c: Column, ours: Sample | undefined, theirs: Sample | undefined) => {
      if (!ours || !theirs) return '–';
      const x = theirs.median / ours.median, target = c.id.startsWith('node') ? 2 : 1;
      return `${x.toFixed(2)}x ${x >= target ? 'met' : '**not met**'}`;
    };
    const rows: string[][] = torch ? [
      ['decode step at 32: x faster than PyTorch (node: 2x, WASM: 1x)', ...cols.map((c) => speedup(c, c.samples['graph.decode@32'], torch.samples['graph.decode@32']))],
      ['decode step at 512: x faster than PyTorch', ...cols.map((c) => speedup(c, c.samples['graph.decode@512'], torch.samples['graph.decode@512']))],
      [`greedy answer (prefill + ${r.plan.tokens} tokens): x faster than PyTorch`, ...cols.map((c) => speedup(c, c.samples['engine.generate'], torch.samples['engine.generate']))],
      ['time to first token incl. preprocessing: x faster than PyTorch', ...cols.map((c) => speedup(c, oursStage(c, 'ttft-with-preprocess'), peerStage(torch, 'ttft-with-preprocess').sample))],
      ['time to first token from pixels: x faster than PyTorch', ...cols.map((c) => speedup(c, oursStage(c, 'ttft-from-pixels'), peerStage(torch, 'ttft-from-pixels').sample))],
    ] : [];
    rows.push(['decode at 512 / at 32, WASM (goal: 1.5 or less)', ...cols.map((c) => {
      const s32 = c.samples['graph.decode@32'], s512 = c.samples['graph.decode@512'];
      if (!c.id.includes('wasm') || !s32 || !s512) return '–';
      const x = s512.median / s32.median;
      return `${x.toFixed(2)}${c.contextsUsed[512] !== 512 ? ` (at ${c.contextsUsed[512]})` : ''} ${x <= 1.5 ? 'met' : '**not met**'}`;
    })]);
    parts.push(`**${m.model.label}**${torch ? '' : ` (no PyTorch comparison: ${m.peer?.error ?? 'peer skipped'})`}`, '', table(['goal', ...cols.map((c) => c.label)], rows), '');
    const node = m.workers.find((w) => w.backend === 'node' && w.secondQuestion);
    if (node?.secondQuestion) {
      const { first, second } = node.secondQuestion;
      const met = second.encodeMs < 0.01 * first.encodeMs && !decoderHasKvProjection(m.model);
      parts.push(`- Second question about the same image (onnxruntime-node, ${node.threads} thread${node.threads > 1 ? 's' : ''}): the engine reports ${num(second.encodeMs)} ms of encoding`
        + ` (the first question: ${num(first.encodeMs)} ms), and decoder.onnx ${decoderHasKvProjection(m.model) ? 'HAS' : 'has no'} cross-attention to_kv weight: `
        + `${met ? 'met' : '**not met**'}.`);
    }
    const below = belowByModel.get(m.model.key) ?? [];
    parts.push(`- Every stage above 30% of its roofline on onnxruntime-node (best thread setting): ${below.length ? `**not met**: ${below.join(', ')} (see bench/README.md)` : 'met'}.`, '');
  }
  return parts.join('\n');
}

/** Whether the decoder graph carries a cross-attention K/V projection weight (it should not: the resampler graph computes K/V once per image). */
function decoderHasKvProjection(m: ModelCase): boolean {
  return readFileSync(join(m.bundleDir, 'decoder.onnx')).includes('to_kv');
}

const fewText = (r: Repetitions) => `${r.reps} run${r.reps > 1 ? 's' : ''} after ${r.warmup} warm-up`;

// ---- the whole report --------------------------------------------------------------------------

export function report(r: ReportInput): string {
  const { machine: mc, plan } = r;
  const loads = r.runs.flatMap((m) => [...m.workers, ...m.browser, ...(m.peer ? [m.peer] : [])]).flatMap((x) => [x.loadBefore, x.loadAfter]);
  const maxLoad = Math.max(r.loadStart, r.loadEnd, ...loads);
  const out: string[] = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench${r.quick ? ' -- --quick' : ''}\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC in ${(r.totalS / 60).toFixed(1)} min.`
    + ` Each figure: median (min–max) of ${plan.reps} run${plan.reps > 1 ? 's' : ''} after ${plan.warmup} warm-up run${plan.warmup > 1 ? 's' : ''}`
    + ` (bigger config: ${plan.bigReps}; single decode steps: ${fewText(decodeStepReps(plan))}; whole-request engine stages: ${fewText(wholeRequestReps(plan))}`
    + `${plan.browserBackends.includes('webgpu') ? '; WebGPU on SwiftShader: 1 run after 1, and no whole-request stages' : '; WebGPU in Chromium not run (--quick: SwiftShader needs minutes)'}). Times in ms unless stated.`,
    '',
    `- Machine: ${mc.cpu}, ${mc.cores} cores, ${mc.memoryGb} GB; CPU features: ${mc.cpuFlags}.`,
    `- Software: Node ${mc.node}, onnxruntime-web ${mc.ortWeb}, onnxruntime-node ${mc.ortNode}, ${mc.chromium}, PyTorch ${r.runs.find((m) => m.peer?.result)?.peer?.result?.torch ?? '(not run)'}.`,
    `- Threads: onnxruntime-node with ${plan.nodeThreads.join(' and ')} intra-op thread${plan.nodeThreads.length > 1 || plan.nodeThreads[0] > 1 ? 's' : ''}, set explicitly (its default pool ran at one thread's speed on these machines, bench/README);`
    + ` onnxruntime-web WASM in Node with ${plan.wasmThreads.join(' and ')} thread${plan.wasmThreads.length > 1 || plan.wasmThreads[0] > 1 ? 's' : ''};`
    + ` in Chromium 1 thread, as the webview runs it; PyTorch with ${plan.peerThreads.join(' and ')} thread${plan.peerThreads.length > 1 || plan.peerThreads[0] > 1 ? 's' : ''} (the best setting per stage).`,
    `- 1-minute load average: ${r.loadStart.toFixed(2)} at the start, ${r.loadEnd.toFixed(2)} at the end, up to ${maxLoad.toFixed(2)} between tables.`
    + (maxLoad > LOADED ? ` **Taken on a loaded machine** (above ${LOADED} on ${mc.cores} cores: other jobs were running): absolute times are inflated and noisy, and settings that use both cores suffer most. Do not tune against these numbers; ratios within one table were measured minutes apart and carry that noise too.` : ''),
    '',
  ];
  const belowByModel = new Map<string, string[]>();
  const sections: string[] = [];
  for (const m of r.runs) {
    const cols = columnsOf(m);
    const roof = rooflineSection(m, cols, r.bandwidth, r.matmulN);
    belowByModel.set(m.model.key, roof.below);
    sections.push(
      `## ${m.model.label}`, '', describeModel(m.model), '',
      '### 1-2. Stages on each backend', '', stagesSection(m, cols, plan), '',
      '### 3. The peer: PyTorch eager on the same weights', '', peerSection(m, cols, plan), '',
      '### 4. The limit: fraction of the roofline', '', roof.text, '',
      '### 5. Where it grows', '', growthSection(m, cols, plan), '',
    );
  }
  out.push('## Goals (issue 5)', '', goalsSection(r, belowByModel), '', ...sections);
  return out.join('\n');
}
