// Bundles for the generation tests, built in a temporary folder with the project's builder.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBundle } from '../../src/builder/bundle';
import type { WeightMap } from '../../src/builder/weights';
import type { FlamingoConfig } from '../../src/flamingo/config';
import type { Manifest, PreprocessSpec } from '../../src/flamingo/manifest';
import { FlamingoModel, loadBundle, type RgbaImage } from '../../src/flamingo';
import { folderSource } from '../../src/node/files';
import { loadOrt, type NodeBackend } from '../../src/node/ort';

export const BACKENDS: NodeBackend[] = ['wasm', 'node'];

export function preprocessFor(config: FlamingoConfig): PreprocessSpec {
  return {
    image_size: config.vision.image_size, resize: 'letterbox', pad_rgb: [255, 255, 255],
    mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], tiles: null, max_frames: Math.max(1, config.resampler.max_frames), video_fps: 1,
  };
}

/** Writes a bundle into a fresh temporary folder; returns the folder and a cleanup. */
export function buildBundle(name: string, config: FlamingoConfig, weights: WeightMap, tokenizerJson: object, tokens: Manifest['tokens']): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `flamingo-${name}-`));
  writeBundle(dir, {
    name, description: `test bundle ${name}`, config, weights, tokenizerJson, tokens,
    preprocess: preprocessFor(config),
    generation: { max_tokens: 16, temperature: 0, top_k: 0, top_p: 1, repetition_penalty: 1, prompt: '<image>{prompt}' },
  });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function openModel(dir: string, backend: NodeBackend): Promise<FlamingoModel> {
  return FlamingoModel.create(await loadBundle(folderSource(dir)), await loadOrt(backend, { threads: 1 }));
}

/** A deterministic test picture: colour gradients with a dark square. */
export function testImage(width: number, height: number, seed = 0): RgbaImage {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inSquare = x > width / 4 && x < width / 2 && y > height / 3 && y < (2 * height) / 3;
      data.set(inSquare ? [20, 20, 20, 255] : [(x * 255) / width, (y * 255) / height, (seed * 97) % 256, 255], (y * width + x) * 4);
    }
  }
  return { width, height, data };
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of it) out.push(v);
  return out;
}
