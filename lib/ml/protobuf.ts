/**
 * A minimal protocol-buffers writer: just what the ONNX exporter needs (varints, 32-bit floats,
 * length-delimited strings, bytes and nested messages). Wire format:
 * https://protobuf.dev/programming-guides/encoding/ (tag = field << 3 | wire type; wire types
 * 0 varint, 1 64-bit, 2 length-delimited, 5 32-bit).
 */

const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

const utf8 = new TextEncoder();

export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private buffer = new Uint8Array(256);
  private position = 0;
  private flushedLength = 0;

  get length(): number {
    return this.flushedLength + this.position;
  }

  private reserve(bytes: number): void {
    if (this.position + bytes <= this.buffer.length) return;
    this.flush();
    if (bytes > this.buffer.length) this.buffer = new Uint8Array(Math.max(bytes, this.buffer.length * 2));
  }

  private flush(): void {
    if (this.position === 0) return;
    this.chunks.push(this.buffer.slice(0, this.position));
    this.flushedLength += this.position;
    this.position = 0;
    if (this.buffer.length < 65_536) this.buffer = new Uint8Array(this.buffer.length * 2);
  }

  /** Unsigned varint of a non-negative safe integer (int64 fields with values >= 0). */
  private rawVarint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`protobuf: varint ${value} must be a non-negative safe integer`);
    this.reserve(10);
    let v = value;
    while (v >= 0x80) {
      this.buffer[this.position++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buffer[this.position++] = v;
  }

  private tag(field: number, wireType: number): void {
    this.rawVarint(field * 8 + wireType);
  }

  private rawBytes(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.position);
    this.position += bytes.length;
  }

  /** int32 / int64 / enum / bool field (non-negative values). */
  varint(field: number, value: number): this {
    this.tag(field, WIRE_VARINT);
    this.rawVarint(value);
    return this;
  }

  /** `float` field (fixed 32-bit little-endian). */
  float(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32);
    this.reserve(4);
    new DataView(this.buffer.buffer, this.buffer.byteOffset + this.position, 4).setFloat32(0, value, true);
    this.position += 4;
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_LENGTH_DELIMITED);
    this.rawVarint(value.length);
    this.rawBytes(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, utf8.encode(value));
  }

  /** Embedded message field. */
  message(field: number, build: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    this.flush();
    if (this.chunks.length === 1) return this.chunks[0] as Uint8Array;
    const out = new Uint8Array(this.flushedLength);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }
}
