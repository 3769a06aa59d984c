// Runs bench/peer.py (PyTorch eager, the trainer's modules, same weights and inputs as ours).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { Plan } from './main';
import type { ModelCase } from './models';
import type { Sample } from './stats';

export interface PeerMode { samples: Record<string, Sample>; generated: number[]; contexts_used: Record<string, number>; matmul_gflops: number }
export interface PeerResult { torch: string; blas: string; cached_vs_full_max_abs_diff: number; modes: Record<string, PeerMode> }
export interface PeerRun { result?: PeerResult; error?: string; threads: number[]; loadBefore: number; loadAfter: number; wallS: number }

/** Debian's OpenBLAS, OpenMP build, one BLAS thread: the trainer's settings (shared/notes/training-cpu.md). */
const OPENBLAS = '/usr/lib/x86_64-linux-gnu/openblas-openmp';

export function runPeer(model: ModelCase, inputs: string, images: string[], plan: Plan, log: (s: string) => void): PeerRun {
  const loadBefore = loadavg()[0];
  const started = performance.now();
  const done = (r: Pick<PeerRun, 'result' | 'error'>): PeerRun => {
    const wallS = (performance.now() - started) / 1000;
    log(`  done in ${wallS.toFixed(0)} s${r.error ? `: ${r.error}` : ''}`);
    return { ...r, threads: plan.peerThreads, loadBefore, loadAfter: loadavg()[0], wallS };
  };
  if (!model.weightsDir) return done({ error: 'no weights folder (safetensors) for this bundle: the peer needs the same weights' });
  const out = join('out/bench/runs', `${model.key}-peer.json`);
  log(`PyTorch peer: ${model.key} (threads ${plan.peerThreads.join(', ')}; fp32 and bf16)`);
  const r = spawnSync('/usr/bin/python3', ['bench/peer.py', '--weights', model.weightsDir, '--bundle', model.bundleDir, '--inputs', inputs,
    '--images', images[0], '--contexts', plan.contexts.join(','), '--reps', String(plan.reps), '--warmup', String(plan.warmup),
    '--tokens', String(plan.tokens), '--threads', plan.peerThreads.join(','), '--out', out],
  { stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8', env: { ...process.env, LD_LIBRARY_PATH: existsSync(OPENBLAS) ? OPENBLAS : '', OPENBLAS_NUM_THREADS: '1' } });
  if (r.status !== 0) return done({ error: `peer.py failed (exit ${r.status ?? r.signal}): ${(r.stderr ?? '').trim().split('\n').pop()}` });
  return done({ result: JSON.parse(readFileSync(out, 'utf8')) as PeerResult });
}
