// What the tables' header says about the machine, and its measured memory bandwidth.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { summarize, type Sample } from './stats';

export interface MachineInfo {
  cpu: string; cores: number; memoryGb: number; cpuFlags: string;
  node: string; ortWeb: string; ortNode: string; chromium: string;
}

const packageVersion = (name: string) => (JSON.parse(readFileSync(`node_modules/${name}/package.json`, 'utf8')) as { version: string }).version;

export function machineInfo(): MachineInfo {
  const flags = readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1].split(/\s+/) ?? [];
  let chromium = 'not found';
  try { chromium = execFileSync('/usr/bin/chromium', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { /* reported as not found */ }
  return {
    cpu: cpus()[0]?.model ?? 'unknown', cores: availableParallelism(), memoryGb: Math.round(totalmem() / 2 ** 30),
    cpuFlags: ['avx2', 'fma', 'avx512f', 'avx512_bf16', 'avx512_vnni'].filter((f) => flags.includes(f)).join(' '),
    node: process.version, ortWeb: packageVersion('onnxruntime-web'), ortNode: packageVersion('onnxruntime-node'), chromium,
  };
}

/** One thread copying 256 MB (read + write): GB/s as median, min, max. */
export function memoryBandwidth(reps: number): Sample & { unit: 'GB/s' } {
  const n = 32 * 2 ** 20; // float64s
  const src = new Float64Array(n).fill(1.5), dst = new Float64Array(n);
  dst.set(src); // warm-up: touch every page
  const rates: number[] = [];
  for (let i = 0; i < reps; i++) {
    const start = performance.now();
    dst.set(src);
    rates.push((2 * n * 8) / ((performance.now() - start) * 1e6));
  }
  return { ...summarize(rates), unit: 'GB/s' };
}
