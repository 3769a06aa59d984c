// The models the benchmark runs: the bundled model (models/flamingo-screens) when it exists,
// else a builder-made stand-in of the same architecture (the trainer's config, random
// weights); and a bigger config of the same architecture (about 10x the parameters).
// Each gets a weights folder (config.json + model.safetensors) for the PyTorch peer, so both
// sides run the same weights: builder-made bundles write theirs, the bundled model's are read
// back out of the bundle itself (tools/weights_from_bundle.py), so they are its weights even
// where the training cache is gone or holds another run.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeBundle } from '../../src/builder/bundle';
import { byteLevelTokenizerJson, byteLevelTokens } from '../../src/builder/byte-tokenizer';
import { randomWeights } from '../../src/builder/random-weights';
import { writeSafetensors } from '../../src/builder/safetensors';
import type { FlamingoConfig } from '../../src/flamingo/config';
import type { PreprocessSpec } from '../../src/flamingo/manifest';

export interface ModelCase {
  key: string;          // short id used in file names
  label: string;        // what the tables call it
  bundleDir: string;
  weightsDir?: string;  // same weights as safetensors, for the peer (absent: peer skipped)
  config: FlamingoConfig;
  parameters: number;
}

const BUNDLED = 'models/flamingo-screens';

/** The trainer's own config and preprocessing (tools/train/main.py), read from its source of truth. */
function trainerConfig(): { config: FlamingoConfig; preprocess: PreprocessSpec } {
  const script = "import sys, json; sys.path.insert(0, 'tools/train'); import main; "
    + "print(json.dumps({'config': main.make_config(main.LM_VOCAB + 2), 'preprocess': main.PREPROCESS}))";
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8' }));
}

/** The same architecture, widths and depths raised for about 10x the parameters; 1024 positions for the context sweep. */
export function biggerConfig(base: FlamingoConfig): FlamingoConfig {
  return {
    vision: { ...base.vision, nfnet: { ...base.vision.nfnet!, stem: [{ channels: 32, kernel: 3, stride: 2 }, { channels: 64, kernel: 3, stride: 2 }],
      stages: [{ channels: 128, blocks: 1, stride: 2 }, { channels: 256, blocks: 2, stride: 2 }] } },
    resampler: { ...base.resampler, depth: 3, heads: 8, head_dim: 32 },
    lm: { ...base.lm, dim: 512, hidden_dim: 1376, n_layers: 6, n_heads: 8, n_kv_heads: 4, max_seq_len: 2048 },
    xattn: { ...base.xattn, heads: 8, head_dim: 64 },
  };
}

/**
 * Writes a random-weights bundle (and its weights folder) unless one with this exact config,
 * made by this build of the bench (which bundles the builder), is there.
 */
export function ensureRandomBundle(dir: string, config: FlamingoConfig, preprocess: PreprocessSpec, seed: number, log: (s: string) => void): number {
  const builder = createHash('sha256').update(readFileSync(process.argv[1])).digest('hex');
  const stamp = JSON.stringify({ config, preprocess, seed, builder });
  const stampFile = join(dir, 'bench-stamp.json');
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return countParameters(join(dir, 'weights', 'model.safetensors'));
  log(`building ${dir} (random weights, seed ${seed})`);
  const weights = randomWeights(config, seed, { gates: 0.5 });
  const vocab = config.lm.vocab_size;
  writeBundle(join(dir, 'bundle'), {
    name: `bench-random-${seed}`, description: 'random weights for benchmarks; the output is meaningless',
    config, weights, tokenizerJson: byteLevelTokenizerJson(vocab), tokens: byteLevelTokens(vocab), preprocess,
    generation: { max_tokens: 128, temperature: 0, top_k: 0, top_p: 1, repetition_penalty: 1, prompt: '<image>{prompt}' },
  });
  mkdirSync(join(dir, 'weights'), { recursive: true });
  writeFileSync(join(dir, 'weights', 'config.json'), JSON.stringify(config));
  writeFileSync(join(dir, 'weights', 'model.safetensors'), writeSafetensors(weights));
  writeFileSync(stampFile, stamp);
  return [...weights.values()].reduce((n, t) => n + t.data.length, 0);
}

/** Parameters in a safetensors file (sum of its tensors' element counts, from the header). */
function countParameters(path: string): number {
  const bytes = readFileSync(path);
  const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString('utf8')) as Record<string, { shape?: number[] }>;
  return Object.entries(header).filter(([k]) => k !== '__metadata__').reduce((n, [, v]) => n + v.shape!.reduce((a, b) => a * b, 1), 0);
}

/** The bundled model's weights read back out of it, unless already read from these exact files. */
function ensureBundleWeights(bundleDir: string, dir: string, log: (s: string) => void): string {
  const stamp = JSON.stringify((JSON.parse(readFileSync(join(bundleDir, 'manifest.json'), 'utf8')) as { files: unknown }).files);
  const stampFile = join(dir, 'bench-stamp.json');
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return dir;
  log(`reading the weights of ${bundleDir} back into ${dir}`);
  execFileSync('/usr/bin/python3', ['tools/weights_from_bundle.py', bundleDir, dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  writeFileSync(stampFile, stamp);
  return dir;
}

export function prepareModels(workDir: string, log: (s: string) => void): ModelCase[] {
  const trainer = trainerConfig();
  const cases: ModelCase[] = [];
  if (existsSync(join(BUNDLED, 'manifest.json'))) {
    const config = (JSON.parse(readFileSync(join(BUNDLED, 'manifest.json'), 'utf8')) as { config: FlamingoConfig }).config;
    const weightsDir = ensureBundleWeights(BUNDLED, join(workDir, 'models', 'bundled-weights'), log);
    cases.push({ key: 'bundled', label: 'bundled model (models/flamingo-screens, trained weights)', bundleDir: BUNDLED, weightsDir, config,
      parameters: countParameters(join(weightsDir, 'model.safetensors')) });
  } else {
    const dir = join(workDir, 'models', 'standin');
    const parameters = ensureRandomBundle(dir, trainer.config, trainer.preprocess, 1, log);
    cases.push({ key: 'standin', label: 'stand-in for the bundled model (trainer\'s config, random weights: models/flamingo-screens not built yet)',
      bundleDir: join(dir, 'bundle'), weightsDir: join(dir, 'weights'), config: trainer.config, parameters });
  }
  const big = biggerConfig(trainer.config);
  const dir = join(workDir, 'models', 'big');
  const parameters = ensureRandomBundle(dir, big, trainer.preprocess, 2, log);
  cases.push({ key: 'big', label: 'bigger config (same architecture, random weights)', bundleDir: join(dir, 'bundle'), weightsDir: join(dir, 'weights'), config: big, parameters });
  return cases;
}
