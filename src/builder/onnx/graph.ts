// A tiny graph-building DSL for ONNX. Values are referred to by name (strings); every op
// call appends one node and returns the names of its outputs. Names come from the current
// scope (`g.scope('layers.0', () => ...)`), so a node reads like `layers.0/attn/MatMul_12`.

export type Dim = number | string; // a fixed size, or a symbolic dimension name
export type ElemType = 'float32' | 'int64';

/** An attribute value: integers are INT, `float(x)` is FLOAT, strings STRING, arrays INTS. */
export type AttrValue = number | { float: number } | string | number[];
export const float = (x: number) => ({ float: x });

export interface Node {
  name: string;
  opType: string;
  domain: string; // '' = the default ONNX domain
  inputs: string[]; // '' = an omitted optional input
  outputs: string[];
  attrs: Record<string, AttrValue>;
}

export interface ValueInfo { name: string; type: ElemType; dims: Dim[] }

export interface Initializer { name: string; dims: number[]; data: Float32Array | BigInt64Array }

export const MS = 'com.microsoft';

export class Graph {
  readonly nodes: Node[] = [];
  readonly inputs: ValueInfo[] = [];
  readonly outputs: ValueInfo[] = [];
  readonly initializers: Initializer[] = [];
  private scopes: string[] = [];
  private counter = 0;
  private initNames = new Set<string>();

  constructor(readonly name: string) {}

  input(name: string, type: ElemType, dims: Dim[]): string {
    this.inputs.push({ name, type, dims });
    return name;
  }

  /** Declares `value` a graph output called `name`, renaming the value where it is made. */
  output(value: string, name: string, type: ElemType, dims: Dim[]): void {
    const producer = this.nodes.find((n) => n.outputs.includes(value));
    if (!producer) value = this.op('', 'Identity', [value])[0]; // an input or initializer
    for (const n of this.nodes) {
      n.inputs = n.inputs.map((v) => (v === value ? name : v));
      n.outputs = n.outputs.map((v) => (v === value ? name : v));
    }
    this.outputs.push({ name, type, dims });
  }

  /** A weight or constant; its name is the weight's name (or a scoped one for constants). */
  init(name: string, dims: number[], data: Float32Array | BigInt64Array): string {
    const size = dims.reduce((a, b) => a * b, 1);
    if (data.length !== size) throw new Error(`initializer ${name}: dims [${dims}] need ${size} values, got ${data.length}`);
    if (this.initNames.has(name)) throw new Error(`initializer ${name} defined twice`);
    this.initNames.add(name);
    this.initializers.push({ name, dims, data });
    return name;
  }

  /** A small constant tensor, named after the current scope. */
  constFloat(values: number[], dims: number[] = [values.length]): string {
    return this.init(this.uniqueName('const'), dims, Float32Array.from(values));
  }

  constInt64(values: number[], dims: number[] = [values.length]): string {
    return this.init(this.uniqueName('const'), dims, BigInt64Array.from(values.map(BigInt)));
  }

  scope<T>(name: string, build: () => T): T {
    this.scopes.push(name);
    try { return build(); } finally { this.scopes.pop(); }
  }

  op(domain: string, opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, nOutputs = 1): string[] {
    const name = this.uniqueName(opType);
    const outputs = Array.from({ length: nOutputs }, (_, i) => (nOutputs === 1 ? name : `${name}:${i}`));
    this.nodes.push({ name, opType, domain, inputs, outputs, attrs });
    return outputs;
  }

  // Shorthands for the plain ONNX ops used most.
  matmul(a: string, b: string) { return this.op('', 'MatMul', [a, b])[0]; }
  add(a: string, b: string) { return this.op('', 'Add', [a, b])[0]; }
  mul(a: string, b: string) { return this.op('', 'Mul', [a, b])[0]; }
  reshape(x: string, shape: number[]) { return this.op('', 'Reshape', [x, this.constInt64(shape)])[0]; }
  transpose(x: string, perm: number[]) { return this.op('', 'Transpose', [x], { perm })[0]; }
  concat(xs: string[], axis: number) { return this.op('', 'Concat', xs, { axis })[0]; }

  private uniqueName(base: string): string {
    return [...this.scopes, `${base}_${this.counter++}`].join('/');
  }
}
