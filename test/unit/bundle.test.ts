// Bundle loading: each way a manifest or its files can be wrong gives its own BundleError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BundleError, loadBundle, sha256Hex, type BundleErrorCode, type FileSource } from '../../src/flamingo';

const encoder = new TextEncoder();

/** A valid manifest (docs/model-spec.md, section 6) over the given files. */
async function manifestFor(files: Record<string, Uint8Array>): Promise<Record<string, any>> {
  const entries: Record<string, { size: number; sha256: string }> = {};
  for (const [path, bytes] of Object.entries(files)) entries[path] = { size: bytes.byteLength, sha256: await sha256Hex(bytes) };
  return {
    format: 'flamingo-bundle', version: 1, name: 'test', description: 'unit test bundle',
    config: {
      vision: { type: 'nfnet', image_size: [32, 32], nfnet: { stem: [{ channels: 8, kernel: 4, stride: 4 }], stages: [], alpha: 0.2, pos_embed: true } },
      resampler: { depth: 1, heads: 2, head_dim: 4, num_latents: 4, ff_mult: 2, max_frames: 4, ln_eps: 1e-5 },
      lm: { dim: 16, hidden_dim: 32, n_layers: 2, n_heads: 2, n_kv_heads: 1, vocab_size: 261, max_seq_len: 64, rope_theta: 10000, norm_eps: 1e-5, tie_embeddings: true },
      xattn: { every: 1, heads: 2, head_dim: 4, ff_mult: 2, ln_eps: 1e-5 },
    },
    tokens: { bos: 1, eos: 2, pad: 0, image: 259, endofchunk: 260 },
    preprocess: { image_size: [32, 32], resize: 'letterbox', pad_rgb: [255, 255, 255], mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], tiles: null, max_frames: 4, video_fps: 1 },
    generation: { max_tokens: 8, temperature: 0, top_k: 0, top_p: 1, repetition_penalty: 1, prompt: '<image>{prompt}' },
    graphs: { vision: 'vision.onnx', resampler: 'resampler.onnx', decoder: 'decoder.onnx' },
    tokenizer: 'tokenizer.json',
    files: entries,
  };
}

function memorySource(files: Record<string, Uint8Array>): FileSource {
  return {
    async read(path) {
      const bytes = files[path];
      if (!bytes) throw new Error(`no such file: ${path}`);
      return bytes;
    },
  };
}

async function validFiles(): Promise<Record<string, Uint8Array>> {
  const files: Record<string, Uint8Array> = {
    'vision.onnx': encoder.encode('vision graph'),
    'resampler.onnx': encoder.encode('resampler graph'),
    'decoder.onnx': encoder.encode('decoder graph'),
    'decoder.onnx.data': encoder.encode('decoder weights'),
    'tokenizer.json': encoder.encode('{}'),
  };
  files['manifest.json'] = encoder.encode(JSON.stringify(await manifestFor(files)));
  return files;
}

async function expectCode(files: Record<string, Uint8Array>, code: BundleErrorCode, mentions: RegExp): Promise<void> {
  await assert.rejects(loadBundle(memorySource(files)), (e: unknown) => {
    assert.ok(e instanceof BundleError, `expected a BundleError, got ${e}`);
    assert.equal(e.code, code);
    assert.match(e.message, mentions);
    return true;
  });
}

async function withManifest(edit: (m: Record<string, any>) => void): Promise<Record<string, Uint8Array>> {
  const files = await validFiles();
  const m = JSON.parse(new TextDecoder().decode(files['manifest.json']));
  edit(m);
  files['manifest.json'] = encoder.encode(JSON.stringify(m));
  return files;
}

test('a valid bundle loads with every listed file', async () => {
  const bundle = await loadBundle(memorySource(await validFiles()));
  assert.equal(bundle.manifest.name, 'test');
  assert.deepEqual([...bundle.files.keys()].sort(), ['decoder.onnx', 'decoder.onnx.data', 'resampler.onnx', 'tokenizer.json', 'vision.onnx']);
});

test('malformed JSON', async () => {
  const files = await validFiles();
  files['manifest.json'] = encoder.encode('{"format": "flamingo-bundle",');
  await expectCode(files, 'malformed-json', /not valid JSON/);
});

test('missing manifest', async () => {
  const files = await validFiles();
  delete files['manifest.json'];
  await expectCode(files, 'missing-file', /manifest\.json/);
});

test('unknown format', async () => {
  await expectCode(await withManifest((m) => { m.format = 'onnx-zoo'; }), 'unknown-format', /"onnx-zoo"/);
});

test('unsupported version', async () => {
  await expectCode(await withManifest((m) => { m.version = 2; }), 'unsupported-version', /version 2/);
});

test('a missing field', async () => {
  await expectCode(await withManifest((m) => { delete m.tokens.image; }), 'invalid-manifest', /tokens\.image/);
});

test('sections that disagree', async () => {
  await expectCode(await withManifest((m) => { m.preprocess.image_size = [64, 64]; }), 'invalid-manifest', /preprocess\.image_size/);
  await expectCode(await withManifest((m) => { m.tokens.endofchunk = 261; }), 'invalid-manifest', /tokens\.endofchunk = 261 is outside the vocabulary/);
  await expectCode(await withManifest((m) => { m.preprocess.tiles = { rows: 2, cols: 2, global: true }; }), 'invalid-manifest', /up to 5 frames.*max_frames is 4/);
});

test('a path that leaves the folder', async () => {
  for (const path of ['../secret.onnx', 'models/../../x', '/etc/passwd', 'C:\\x.onnx', 'a\\..\\..\\b']) {
    await expectCode(await withManifest((m) => { m.files[path] = { size: 1, sha256: '0'.repeat(64) }; }), 'unsafe-path', /leaves the bundle folder/);
  }
  await expectCode(await withManifest((m) => { m.graphs.decoder = '../decoder.onnx'; }), 'unsafe-path', /\.\.\/decoder\.onnx/);
});

test('a graph not listed in files', async () => {
  await expectCode(await withManifest((m) => { delete m.files['vision.onnx']; }), 'unlisted-file', /vision\.onnx/);
});

test('a missing file', async () => {
  const files = await validFiles();
  delete files['decoder.onnx.data'];
  await expectCode(files, 'missing-file', /decoder\.onnx\.data/);
});

test('a wrong size', async () => {
  const files = await validFiles();
  files['resampler.onnx'] = encoder.encode('resampler graph!');
  await expectCode(files, 'size-mismatch', /resampler\.onnx.*16 bytes.*15/);
});

test('a wrong sha256, unless verification is off', async () => {
  const files = await validFiles();
  files['decoder.onnx'] = encoder.encode('decoder graph'.replace('g', 'G'));
  await expectCode(files, 'sha256-mismatch', /decoder\.onnx/);
  const bundle = await loadBundle(memorySource(files), { verify: false });
  assert.equal(new TextDecoder().decode(bundle.files.get('decoder.onnx')), 'decoder Graph');
});

test('sha256 matches a known digest', async () => {
  assert.equal(await sha256Hex(encoder.encode('abc')), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});
