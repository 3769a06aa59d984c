// safetensors files: an 8-byte little-endian header length, a JSON header
// { name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__"?: {...} }, then the data.
// Writes F32; reads F32, F16 and BF16 (converted to F32).

import { HostTensor, WeightMap } from './weights';

const BYTES_PER: Record<string, number> = { F32: 4, F16: 2, BF16: 2 };

export function readSafetensors(bytes: Uint8Array): WeightMap {
  if (bytes.length < 8) throw new Error(`safetensors: ${bytes.length} bytes is too short for a header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (8 + headerLength > bytes.length) throw new Error(`safetensors: header length ${headerLength} exceeds the file (${bytes.length} bytes)`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch (e) {
    throw new Error(`safetensors: the header is not valid JSON (${(e as Error).message})`);
  }
  const dataStart = 8 + headerLength;
  const weights: WeightMap = new Map();
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, data_offsets: [begin, end] } = info;
    const width = BYTES_PER[dtype];
    if (!width) throw new Error(`safetensors: "${name}" has dtype ${dtype}; only F32, F16 and BF16 are supported`);
    const count = shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * width || dataStart + end > bytes.length) {
      throw new Error(`safetensors: "${name}" [${shape}] ${dtype} has data_offsets [${begin}, ${end}] that do not fit`);
    }
    const raw = bytes.slice(dataStart + begin, dataStart + end); // a copy: aligned, owned
    weights.set(name, { shape, data: toFloat32(raw, dtype, count) });
  }
  return weights;
}

export function writeSafetensors(weights: WeightMap, metadata?: Record<string, string>): Uint8Array {
  const names = [...weights.keys()].sort();
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  let offset = 0;
  for (const name of names) {
    const t = weights.get(name)!;
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  const json = JSON.stringify(header);
  const padding = (8 - (new TextEncoder().encode(json).length % 8)) % 8; // keeps the data 8-byte aligned
  const headerBytes = new TextEncoder().encode(json + ' '.repeat(padding));
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const name of names) {
    const t: HostTensor = weights.get(name)!;
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

function toFloat32(raw: Uint8Array, dtype: string, count: number): Float32Array {
  if (dtype === 'F32') return new Float32Array(raw.buffer, raw.byteOffset, count);
  const halves = new Uint16Array(raw.buffer, raw.byteOffset, count);
  const out = new Float32Array(count);
  if (dtype === 'BF16') {
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) bits[i] = halves[i] << 16; // bfloat16 is the top half of a float32
  } else {
    for (let i = 0; i < count; i++) out[i] = halfToFloat(halves[i]);
  }
  return out;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24; // subnormal
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}
