// Vision encoder over all frames of one media item: pixels [F, 3, H, W] -> features [F, P, Dv].
import { type FlamingoConfig, visionPositions, visionWidth } from '../../src/flamingo/config';
import { type HostTensor, tensor, type WeightMap } from '../../src/builder/weights';
import { nfnetFrame } from './nfnet';
import { vitFrame } from './vit';

export function visionForward(config: FlamingoConfig, weights: WeightMap, pixels: HostTensor): HostTensor {
  const [height, width] = config.vision.image_size;
  const [frames, channels, h, w] = pixels.shape;
  if (pixels.shape.length !== 4 || channels !== 3 || h !== height || w !== width) {
    throw new Error(`visionForward: pixels have shape [${pixels.shape}], expected [F, 3, ${height}, ${width}]`);
  }
  const positions = visionPositions(config.vision);
  const dv = visionWidth(config.vision);
  const frameSize = 3 * height * width;
  const out = tensor([frames, positions, dv]);
  for (let f = 0; f < frames; f++) {
    const frame = Float64Array.from(pixels.data.subarray(f * frameSize, (f + 1) * frameSize));
    const features = config.vision.type === 'vit'
      ? vitFrame(need(config.vision.vit, 'vision.vit'), weights, frame, height, width)
      : nfnetFrame(need(config.vision.nfnet, 'vision.nfnet'), weights, frame, height, width);
    if (features.length !== positions * dv) throw new Error(`visionForward: frame gives ${features.length} values, expected [${positions}, ${dv}]`);
    out.data.set(features, f * positions * dv);
  }
  return out;
}

function need<T>(v: T | undefined, name: string): T {
  if (v === undefined) throw new Error(`config: "${name}" is missing`);
  return v;
}
