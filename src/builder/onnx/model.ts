// Encodes a Graph as an ONNX ModelProto (field numbers from onnx/onnx.proto).
// Large initializers can go to an external data file: their TensorProto then carries
// data_location = EXTERNAL and (location, offset, length) entries instead of raw_data.

import { ProtoWriter } from './protobuf';
import { Graph, Initializer, ValueInfo, AttrValue, Node, ElemType } from './graph';

const IR_VERSION = 8; // matches opset 17
export const OPSETS: Record<string, number> = { '': 17, 'com.microsoft': 1 };

const DATA_TYPE: Record<ElemType, number> = { float32: 1, int64: 7 };
const ATTR_FLOAT = 1, ATTR_INT = 2, ATTR_STRING = 3, ATTR_INTS = 7;
const DATA_LOCATION_EXTERNAL = 1;
const EXTERNAL_ALIGNMENT = 64; // keeps every tensor aligned in the data file

export interface ExternalDataOptions {
  location: string; // file name of the data file, relative to the .onnx file
  minBytes: number; // initializers smaller than this stay inside the model
}

export interface EncodedModel { model: Uint8Array; externalData?: Uint8Array }

export function encodeModel(graph: Graph, external?: ExternalDataOptions): EncodedModel {
  const dataChunks: Uint8Array[] = [];
  let dataSize = 0;
  const writeExternal = (bytes: Uint8Array): number => {
    const pad = (EXTERNAL_ALIGNMENT - (dataSize % EXTERNAL_ALIGNMENT)) % EXTERNAL_ALIGNMENT;
    if (pad) { dataChunks.push(new Uint8Array(pad)); dataSize += pad; }
    const offset = dataSize;
    dataChunks.push(bytes);
    dataSize += bytes.length;
    return offset;
  };

  const w = new ProtoWriter();
  w.varint(1, IR_VERSION);
  w.string(2, 'flamingo-builder');
  w.message(7, (g) => {
    for (const n of graph.nodes) g.message(1, (m) => writeNode(m, n));
    g.string(2, graph.name);
    for (const t of graph.initializers) {
      g.message(5, (m) => {
        const bytes = tensorBytes(t);
        const toFile = external && bytes.length >= external.minBytes;
        writeTensorHeader(m, t);
        if (!toFile) { m.bytes(9, bytes); return; }
        const offset = writeExternal(bytes);
        const entry = (key: string, value: string) => m.message(13, (e) => e.string(1, key).string(2, value));
        entry('location', external.location);
        entry('offset', String(offset));
        entry('length', String(bytes.length));
        m.varint(14, DATA_LOCATION_EXTERNAL);
      });
    }
    for (const v of graph.inputs) g.message(11, (m) => writeValueInfo(m, v));
    for (const v of graph.outputs) g.message(12, (m) => writeValueInfo(m, v));
  });
  for (const [domain, version] of Object.entries(OPSETS)) {
    w.message(8, (m) => m.string(1, domain).varint(2, version));
  }
  const model = w.finish();
  if (!dataChunks.length) return { model };
  const data = new Uint8Array(dataSize);
  let at = 0;
  for (const c of dataChunks) { data.set(c, at); at += c.length; }
  return { model, externalData: data };
}

function writeNode(m: ProtoWriter, n: Node): void {
  for (const i of n.inputs) m.string(1, i);
  for (const o of n.outputs) m.string(2, o);
  m.string(3, n.name);
  m.string(4, n.opType);
  for (const [name, value] of Object.entries(n.attrs)) m.message(5, (a) => writeAttr(a, name, value));
  if (n.domain) m.string(7, n.domain);
}

function writeAttr(a: ProtoWriter, name: string, value: AttrValue): void {
  a.string(1, name);
  if (typeof value === 'string') a.string(4, value).varint(20, ATTR_STRING);
  else if (Array.isArray(value)) a.packedVarints(8, value.map(checkInt)).varint(20, ATTR_INTS);
  else if (typeof value === 'number') a.varint(3, checkInt(value)).varint(20, ATTR_INT);
  else a.float(2, value.float).varint(20, ATTR_FLOAT);
}

function checkInt(v: number): number {
  if (!Number.isInteger(v)) throw new Error(`attribute value ${v} is not an integer (use float(x) for floats)`);
  return v;
}

function writeTensorHeader(m: ProtoWriter, t: Initializer): void {
  m.packedVarints(1, t.dims);
  m.varint(2, t.data instanceof Float32Array ? DATA_TYPE.float32 : DATA_TYPE.int64);
  m.string(8, t.name);
}

// Little-endian bytes of the tensor (typed arrays are little-endian on every target we run on).
function tensorBytes(t: Initializer): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

function writeValueInfo(m: ProtoWriter, v: ValueInfo): void {
  m.string(1, v.name);
  m.message(2, (type) => type.message(1, (tensor) => {
    tensor.varint(1, DATA_TYPE[v.type]);
    tensor.message(2, (shape) => {
      for (const d of v.dims) shape.message(1, (dim) => (typeof d === 'number' ? dim.varint(1, d) : dim.string(2, d)));
    });
  }));
}
