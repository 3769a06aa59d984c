// Writes a model bundle (docs/model-spec.md §6): manifest.json, tokenizer.json and the three
// ONNX graphs, large graphs with their initializers in `<graph>.onnx.data`.

import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FlamingoConfig } from '../flamingo/config';
import type { GenerationDefaults, Manifest, PreprocessSpec, SpecialTokens } from '../flamingo/manifest';
import { buildDecoder } from './decoder';
import type { Graph } from './onnx/graph';
import { encodeModel } from './onnx/model';
import { buildResampler } from './resampler';
import { buildNfnetVision } from './vision-nfnet';
import { buildVitVision } from './vision-vit';
import { validateWeights } from './weight-spec';
import type { WeightMap } from './weights';

/** A graph whose initializers exceed this goes to external data (protobuf's 2 GB cap is far off; this keeps .onnx files small). */
const EXTERNAL_DATA_THRESHOLD = 2 * 1024 * 1024;
/** Initializers below this stay inside the .onnx file even then (shape constants, norms). */
const EXTERNAL_MIN_TENSOR_BYTES = 1024;

export interface BundleInput {
  name: string;
  description: string;
  config: FlamingoConfig;
  weights: WeightMap;
  tokenizerJson: string | object;
  tokens: SpecialTokens;
  preprocess: PreprocessSpec;
  generation: GenerationDefaults;
}

export interface WrittenFile { path: string; size: number; sha256: string }
export interface BundleSummary {
  files: WrittenFile[];
  parameters: Record<'vision' | 'resampler' | 'lm' | 'xattn', number>;
  graphs: Record<string, { nodes: number; ops: string[] }>;
}

export function writeBundle(outDir: string, input: BundleInput): BundleSummary {
  const { config, weights } = input;
  validateWeights(config, weights);
  if (input.tokens.image >= config.lm.vocab_size || input.tokens.endofchunk >= config.lm.vocab_size) {
    throw new Error(`tokens: <image> (${input.tokens.image}) and <|endofchunk|> (${input.tokens.endofchunk}) must be below lm.vocab_size (${config.lm.vocab_size})`);
  }
  mkdirSync(outDir, { recursive: true });
  const files: WrittenFile[] = [];
  const write = (path: string, bytes: Uint8Array) => {
    writeFileSync(join(outDir, path), bytes);
    files.push({ path, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
  };

  const graphs: Record<'vision' | 'resampler' | 'decoder', Graph> = {
    vision: config.vision.type === 'vit' ? buildVitVision(config, weights) : buildNfnetVision(config, weights),
    resampler: buildResampler(config, weights),
    decoder: buildDecoder(config, weights),
  };
  const graphInfo: BundleSummary['graphs'] = {};
  for (const [key, graph] of Object.entries(graphs)) {
    const file = `${key}.onnx`;
    const weightBytes = graph.initializers.reduce((n, t) => n + t.data.byteLength, 0);
    const external = weightBytes > EXTERNAL_DATA_THRESHOLD ? { location: `${file}.data`, minBytes: EXTERNAL_MIN_TENSOR_BYTES } : undefined;
    const encoded = encodeModel(graph, external);
    write(file, encoded.model);
    if (encoded.externalData) write(`${file}.data`, encoded.externalData);
    graphInfo[key] = { nodes: graph.nodes.length, ops: opsUsed(graph) };
  }
  const tokenizer = typeof input.tokenizerJson === 'string' ? input.tokenizerJson : JSON.stringify(input.tokenizerJson);
  write('tokenizer.json', new TextEncoder().encode(tokenizer));

  const manifest: Manifest = {
    format: 'flamingo-bundle',
    version: 1,
    name: input.name,
    description: input.description,
    config,
    tokens: input.tokens,
    preprocess: input.preprocess,
    generation: input.generation,
    graphs: { vision: 'vision.onnx', resampler: 'resampler.onnx', decoder: 'decoder.onnx' },
    tokenizer: 'tokenizer.json',
    files: Object.fromEntries(files.map((f) => [f.path, { size: f.size, sha256: f.sha256 }])),
  };
  writeFileSync(join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return { files, parameters: parameterCounts(weights), graphs: graphInfo };
}

/** Ops of a graph as "domain:OpType" (default domain without prefix), sorted. */
export function opsUsed(graph: Graph): string[] {
  return [...new Set(graph.nodes.map((n) => (n.domain ? `${n.domain}:${n.opType}` : n.opType)))].sort();
}

function parameterCounts(weights: WeightMap): BundleSummary['parameters'] {
  const counts = { vision: 0, resampler: 0, lm: 0, xattn: 0 };
  for (const [name, t] of weights) counts[name.split('.')[0] as keyof typeof counts] += t.data.length;
  return counts;
}
