// Benchmark inputs made on the spot: screenshot-like PNGs (the large MatMul graph is in matmul.ts).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { Rng } from '../../src/builder/random-weights';

/** A flat UI: title bar, side bar, an error banner, lines of "text" (dark dashes); PNG. */
export async function screenshotPng(width: number, height: number): Promise<Buffer> {
  const data = Buffer.alloc(width * height * 4, 255);
  const rect = (x0: number, y0: number, w: number, h: number, [r, g, b]: number[]) => {
    for (let y = y0; y < Math.min(height, y0 + h); y++) {
      for (let x = x0; x < Math.min(width, x0 + w); x++) data.set([r, g, b, 255], (y * width + x) * 4);
    }
  };
  const rng = new Rng(width * height);
  rect(0, 0, width, 36, [40, 44, 52]);
  rect(0, 36, Math.round(width * 0.18), height - 36, [240, 240, 244]);
  rect(Math.round(width * 0.22), 60, Math.round(width * 0.7), 40, [230, 60, 60]);
  for (let y = 130; y < height - 20; y += 22) {
    let x = Math.round(width * 0.22);
    while (x < width * 0.9) {
      const w = 12 + Math.floor(rng.uniform() * 60);
      rect(x, y, w, 12, [30, 30, 30]);
      x += w + 8;
    }
  }
  return sharp(data, { raw: { width, height, channels: 4 } }).png().toBuffer();
}

export const SCREEN_SIZES: [number, number][] = [[1280, 800], [1920, 1080]];

/** out/bench/images/screen-WxH.png for each size; returns their paths. */
export async function ensureImages(dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const paths: string[] = [];
  for (const [w, h] of SCREEN_SIZES) {
    const path = join(dir, `${w}x${h}.png`);
    if (!existsSync(path)) writeFileSync(path, await screenshotPng(w, h));
    paths.push(path);
  }
  return paths;
}
