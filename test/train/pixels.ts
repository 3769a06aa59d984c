// Compares the runtime's preprocessing (src/flamingo/preprocess.ts) with the frames the
// trainer cached (frames.npy, uint8 [T, H, W, 3]): the model must see the same pixels in both.
import { openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { imageViews, unpack } from '../../src/flamingo/preprocess';
import type { PreprocessSpec } from '../../src/flamingo/manifest';
import { decodeImage } from '../../src/node/images';

/** Frames of a uint8 .npy file ('|u1', C order, [T, H, W, 3]), read one at a time (the file is large). */
export function npyFrames(path: string): { shape: number[]; frame(t: number): Uint8Array } {
  const fd = openSync(path, 'r');
  const head = Buffer.alloc(10);
  readSync(fd, head, 0, 10, 0);
  const headerLen = head.readUInt16LE(8);
  const header = Buffer.alloc(headerLen);
  readSync(fd, header, 0, headerLen, 10);
  const text = header.toString('latin1');
  if (!text.includes("'descr': '|u1'") || !text.includes("'fortran_order': False")) throw new Error(`${path}: not a C-order uint8 .npy`);
  const shape = /'shape': \(([^)]*)\)/.exec(text)![1].split(',').filter((d) => d.trim()).map(Number);
  const size = shape[1] * shape[2] * shape[3];
  return {
    shape,
    frame(t) {
      const out = new Uint8Array(size);
      readSync(fd, out, 0, size, 10 + headerLen + t * size);
      return out;
    },
  };
}

/** Largest |runtime - trainer| byte difference over the frames of a still sample. */
export async function maxPixelDiff(pngPath: string, frames: ReturnType<typeof npyFrames>, firstFrame: number, spec: PreprocessSpec): Promise<number> {
  const img = (await decodeImage(new Uint8Array(readFileSync(pngPath)))).frames[0];
  let max = 0;
  imageViews(img, spec).forEach((v, f) => {
    const cached = frames.frame(firstFrame + f);
    const { data } = unpack(v);
    for (let k = 0; k < cached.length; k++) max = Math.max(max, Math.abs(data[k] - cached[k]));
  });
  return max;
}

export const samplePng = (dataDir: string, id: number) => join(dataDir, 'img', `${id}_0.png`);
