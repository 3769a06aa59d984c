// A minimal protobuf wire-format writer: just enough to encode ONNX's ModelProto.
// Protobuf messages are sequences of (field number, wire type, payload) records:
//   wire type 0 = varint (ints, enums), 2 = length-delimited (strings, bytes, sub-messages),
//   5 = fixed 32-bit (float).
// Sub-messages are written into their own Writer and appended as bytes, which keeps the
// code simple. Payloads are held by reference until `finish()`, so each nesting level copies
// the bytes once (weights kept inside a model are copied three times: tensor, graph, model).

const VARINT = 0;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

export class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private pending: number[] = []; // small writes, flushed into `chunks` before each big one

  /** Field with an unsigned or non-negative integer value (int32, int64, enum). */
  varint(field: number, value: number | bigint): this {
    this.tag(field, VARINT);
    this.rawVarint(BigInt(value));
    return this;
  }

  /** Field with a float32 value. */
  float(field: number, value: number): this {
    this.tag(field, FIXED32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.push(b);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, LENGTH_DELIMITED);
    this.rawVarint(BigInt(value.length));
    this.push(value);
    return this;
  }

  message(field: number, build: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  /** Packed repeated int64 (one length-delimited record of varints). */
  packedVarints(field: number, values: readonly (number | bigint)[]): this {
    const inner = new ProtoWriter();
    for (const v of values) inner.rawVarint(BigInt(v));
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    this.flush();
    const out = new Uint8Array(this.chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of this.chunks) { out.set(c, at); at += c.length; }
    return out;
  }

  private tag(field: number, wireType: number): void {
    this.rawVarint(BigInt((field << 3) | wireType));
  }

  // int64 negatives are written as 10-byte two's complement, as protobuf requires.
  private rawVarint(v: bigint): void {
    if (v < 0n) v = BigInt.asUintN(64, v);
    while (v >= 0x80n) {
      this.pending.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.pending.push(Number(v));
  }

  private push(b: Uint8Array): void {
    this.flush();
    this.chunks.push(b);
  }

  private flush(): void {
    if (!this.pending.length) return;
    this.chunks.push(Uint8Array.from(this.pending));
    this.pending = [];
  }
}
