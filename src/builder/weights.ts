// Host-side tensors: the form weights take between the readers (safetensors, llama2.c),
// the builder, the reference forward pass and the tests.

export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

/** Weights by their names in docs/model-spec.md. */
export type WeightMap = Map<string, HostTensor>;

export function tensor(shape: number[], data?: Float32Array): HostTensor {
  const size = shape.reduce((a, b) => a * b, 1);
  if (data && data.length !== size) throw new Error(`tensor: shape [${shape}] needs ${size} values, got ${data.length}`);
  return { shape, data: data ?? new Float32Array(size) };
}

export function getWeight(weights: WeightMap, name: string, shape?: number[]): HostTensor {
  const t = weights.get(name);
  if (!t) throw new Error(`weights: "${name}" is missing`);
  if (shape && (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))) {
    throw new Error(`weights: "${name}" has shape [${t.shape}], expected [${shape}]`);
  }
  return t;
}
