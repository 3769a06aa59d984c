// The peak-throughput probe: one large MatMul graph (its own module: the Dawn runner imports it without sharp).
import { Graph } from '../../src/builder/onnx/graph';
import { encodeModel } from '../../src/builder/onnx/model';

/** a [n, n] @ W [n, n] (W a constant): 2 n^3 FLOPs, the backend's best case. */
export function matmulModel(n: number): { bytes: Uint8Array; flops: number } {
  const g = new Graph('matmul');
  const a = g.input('a', 'float32', [n, n]);
  const w = g.init('w', [n, n], Float32Array.from({ length: n * n }, (_, i) => ((i * 104729) % 997) / 997 - 0.5));
  g.output(g.matmul(a, w), 'y', 'float32', [n, n]);
  return { bytes: encodeModel(g).model, flops: 2 * n ** 3 };
}
