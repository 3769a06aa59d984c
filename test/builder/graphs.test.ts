// The shape of the graphs themselves: decoder inputs and outputs exactly as model-spec §5,
// only operators known to run on onnxruntime-web WASM, onnxruntime-node and the WebGPU engine,
// one shared initializer for tied embeddings, every node named once.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FlamingoConfig } from '../../src/flamingo/config';
import { opsUsed } from '../../src/builder/bundle';
import { buildDecoder } from '../../src/builder/decoder';
import type { Graph } from '../../src/builder/onnx/graph';
import { buildResampler } from '../../src/builder/resampler';
import { randomWeights } from '../../src/builder/random-weights';
import { buildNfnetVision } from '../../src/builder/vision-nfnet';
import { buildVitVision } from '../../src/builder/vision-vit';
import { tinyConfig } from './helpers';

// Plain ONNX ops (opset 17), and the contrib ops registered by the WebGPU engine
// (onnxruntime contrib_ops/webgpu/webgpu_contrib_kernels.cc), the CPU engine and WASM.
// Not here on purpose: opset-23 Attention and RMSNormalization (CPU fallback on WebGPU).
const ALLOWED = new Set([
  'Add', 'Concat', 'Conv', 'Expand', 'Gather', 'LayerNormalization', 'MatMul', 'Mul', 'Pad', 'Reshape', 'Shape',
  'Sigmoid', 'SimplifiedLayerNormalization', 'Slice', 'Softmax', 'Tile', 'Transpose', 'Unsqueeze',
  'com.microsoft:Gelu', 'com.microsoft:MultiHeadAttention', 'com.microsoft:RotaryEmbedding',
]);

const vitConfig: FlamingoConfig = tinyConfig({
  vision: { type: 'vit', image_size: [16, 16], vit: { patch_size: 4, width: 16, layers: 1, heads: 2, mlp_dim: 32, act: 'quick_gelu', ln_eps: 1e-5 } },
});
const io = (vs: { name: string; type: string; dims: (number | string)[] }[]) => vs.map((v) => `${v.name} ${v.type} [${v.dims}]`);

test('decoder inputs and outputs are exactly those of model-spec section 5', () => {
  const config = tinyConfig(); // 2 layers, gated blocks before both, 4 heads, 2 kv heads, hd 8
  const g = buildDecoder(config, randomWeights(config, 1));
  assert.deepEqual(io(g.inputs), [
    'input_ids int64 [batch,sequence]', 'position_ids int64 [batch,sequence]',
    'attention_bias float32 [batch,1,sequence,total_sequence]', 'media_bias float32 [batch,1,sequence,media_tokens]',
    'media_gate float32 [batch,sequence,1]',
    'media_key.0 float32 [batch,2,media_tokens,8]', 'media_value.0 float32 [batch,2,media_tokens,8]',
    'media_key.1 float32 [batch,2,media_tokens,8]', 'media_value.1 float32 [batch,2,media_tokens,8]',
    'past_key.0 float32 [batch,2,past_sequence,8]', 'past_value.0 float32 [batch,2,past_sequence,8]',
    'past_key.1 float32 [batch,2,past_sequence,8]', 'past_value.1 float32 [batch,2,past_sequence,8]',
  ]);
  assert.deepEqual(io(g.outputs), [
    'logits float32 [batch,sequence,40]',
    'present_key.0 float32 [batch,2,total_sequence,8]', 'present_value.0 float32 [batch,2,total_sequence,8]',
    'present_key.1 float32 [batch,2,total_sequence,8]', 'present_value.1 float32 [batch,2,total_sequence,8]',
    'new_key.0 float32 [batch,2,sequence,8]', 'new_value.0 float32 [batch,2,sequence,8]',
    'new_key.1 float32 [batch,2,sequence,8]', 'new_value.1 float32 [batch,2,sequence,8]',
  ]);
  const plain = { ...config, xattn: { ...config.xattn, every: 0 } };
  const lmOnly = new Map([...randomWeights(plain, 1)].filter(([n]) => n.startsWith('lm.')));
  assert.deepEqual(buildDecoder(plain, lmOnly).inputs.map((v) => v.name),
    ['input_ids', 'position_ids', 'attention_bias', 'past_key.0', 'past_value.0', 'past_key.1', 'past_value.1']);
});

test('vision and resampler inputs and outputs match the config', () => {
  const config = tinyConfig();
  const w = randomWeights(config, 1);
  assert.deepEqual(io(buildNfnetVision(config, w).inputs), ['pixels float32 [frames,3,16,16]']);
  assert.deepEqual(io(buildNfnetVision(config, w).outputs), ['features float32 [frames,4,16]']);
  assert.deepEqual(io(buildResampler(config, w).outputs), [
    'latents float32 [4,16]', 'media_key.0 float32 [2,4,8]', 'media_value.0 float32 [2,4,8]',
    'media_key.1 float32 [2,4,8]', 'media_value.1 float32 [2,4,8]',
  ]);
});

test('every graph uses only operators that run on WASM, onnxruntime-node and WebGPU; nodes are named once', () => {
  const config = tinyConfig();
  const w = randomWeights(config, 1);
  const graphs: Graph[] = [buildNfnetVision(config, w), buildVitVision(vitConfig, randomWeights(vitConfig, 1)), buildResampler(config, w), buildDecoder(config, w)];
  for (const g of graphs) {
    const unexpected = opsUsed(g).filter((op) => !ALLOWED.has(op));
    assert.deepEqual(unexpected, [], `${g.name} uses ${unexpected}`);
    const names = g.nodes.map((n) => n.name);
    assert.equal(new Set(names).size, names.length, `${g.name} has duplicate node names`);
    assert.ok(names.every((n) => n.length > 0));
  }
});

test('tied embeddings are one initializer; untied ones have their own output matrix', () => {
  const config = tinyConfig();
  const embeddingSize = config.lm.vocab_size * config.lm.dim;
  const tied = buildDecoder(config, randomWeights(config, 1));
  assert.deepEqual(tied.initializers.filter((t) => t.data.length === embeddingSize).map((t) => t.name), ['lm.tok_embeddings.weight']);
  const untiedConfig = { ...config, lm: { ...config.lm, tie_embeddings: false } };
  const untied = buildDecoder(untiedConfig, randomWeights(untiedConfig, 1));
  assert.deepEqual(untied.initializers.filter((t) => t.data.length === embeddingSize).map((t) => t.name).sort(),
    ['lm.output.weight_T', 'lm.tok_embeddings.weight']);
});
