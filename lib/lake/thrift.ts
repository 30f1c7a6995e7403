/**
 * The Thrift compact protocol, as far as Parquet's footer and page headers need it. Writing
 * takes structs as lists of typed fields; reading is generic (every field kept by its id), so
 * fields other writers add (statistics, page indexes, encryption) are read past, not refused.
 */

const STOP = 0;
const TRUE = 1;
const FALSE = 2;
const BYTE = 3;
const I16 = 4;
const I32 = 5;
const I64 = 6;
const DOUBLE = 7;
const BINARY = 8;
const LIST = 9;
const SET = 10;
const MAP = 11;
const STRUCT = 12;

export type ThriftField =
  | { readonly id: number; readonly i32: number }
  | { readonly id: number; readonly i64: number }
  | { readonly id: number; readonly bool: boolean }
  | { readonly id: number; readonly text: string }
  | { readonly id: number; readonly struct: readonly ThriftField[] }
  | { readonly id: number; readonly i32s: readonly number[] }
  | { readonly id: number; readonly texts: readonly string[] }
  | { readonly id: number; readonly structs: readonly (readonly ThriftField[])[] };

/** A growable byte buffer for headers and footers (small: their cost is in the varints). */
export class ByteWriter {
  private bytes = new Uint8Array(256);
  length = 0;

  byte(value: number): void {
    if (this.length === this.bytes.length) this.grow(1);
    this.bytes[this.length++] = value;
  }

  write(chunk: Uint8Array): void {
    if (this.length + chunk.length > this.bytes.length) this.grow(chunk.length);
    this.bytes.set(chunk, this.length);
    this.length += chunk.length;
  }

  /** Unsigned LEB128, exact for any safe integer. */
  varint(value: number): void {
    while (value >= 0x80) {
      this.byte((value % 0x80) | 0x80);
      value = Math.floor(value / 0x80);
    }
    this.byte(value);
  }

  zigzag(value: number): void {
    this.varint(value >= 0 ? value * 2 : -value * 2 - 1);
  }

  result(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }

  private grow(needed: number): void {
    const next = new Uint8Array(Math.max(this.bytes.length * 2, this.length + needed));
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
  }
}

const utf8 = new TextEncoder();

function listHeader(out: ByteWriter, size: number, type: number): void {
  if (size < 15) out.byte((size << 4) | type);
  else {
    out.byte(0xf0 | type);
    out.varint(size);
  }
}

function fieldHeader(out: ByteWriter, delta: number, id: number, type: number): void {
  if (delta > 0 && delta <= 15) out.byte((delta << 4) | type);
  else {
    out.byte(type);
    out.zigzag(id);
  }
}

/** Writes a struct's fields (ascending ids) and its stop byte. */
export function writeStruct(out: ByteWriter, fields: readonly ThriftField[]): void {
  let last = 0;
  for (const field of fields) {
    const delta = field.id - last;
    last = field.id;
    if ('i32' in field) {
      fieldHeader(out, delta, field.id, I32);
      out.zigzag(field.i32);
    } else if ('i64' in field) {
      fieldHeader(out, delta, field.id, I64);
      out.zigzag(field.i64);
    } else if ('bool' in field) {
      fieldHeader(out, delta, field.id, field.bool ? TRUE : FALSE);
    } else if ('text' in field) {
      fieldHeader(out, delta, field.id, BINARY);
      const bytes = utf8.encode(field.text);
      out.varint(bytes.length);
      out.write(bytes);
    } else if ('struct' in field) {
      fieldHeader(out, delta, field.id, STRUCT);
      writeStruct(out, field.struct);
    } else if ('i32s' in field) {
      fieldHeader(out, delta, field.id, LIST);
      listHeader(out, field.i32s.length, I32);
      for (const value of field.i32s) out.zigzag(value);
    } else if ('texts' in field) {
      fieldHeader(out, delta, field.id, LIST);
      listHeader(out, field.texts.length, BINARY);
      for (const text of field.texts) {
        const bytes = utf8.encode(text);
        out.varint(bytes.length);
        out.write(bytes);
      }
    } else {
      fieldHeader(out, delta, field.id, LIST);
      listHeader(out, field.structs.length, STRUCT);
      for (const struct of field.structs) writeStruct(out, struct);
    }
  }
  out.byte(STOP);
}

/** A struct read back: its fields by id. Binary stays bytes (see `text`). */
export type ThriftValue = number | boolean | Uint8Array | ThriftStruct | ThriftValue[];
export interface ThriftStruct {
  readonly [id: number]: ThriftValue | undefined;
}

/** Reads compact-protocol structs from `bytes`, starting at `offset`. */
export class ThriftReader {
  constructor(
    private readonly bytes: Uint8Array,
    public offset = 0,
  ) {}

  struct(): ThriftStruct {
    const fields: Record<number, ThriftValue> = {};
    let last = 0;
    for (;;) {
      const header = this.byte();
      const type = header & 0x0f;
      if (type === STOP) return fields;
      const delta = header >> 4;
      const id = delta === 0 ? this.zigzag() : last + delta;
      last = id;
      fields[id] = type === TRUE ? true : type === FALSE ? false : this.value(type);
    }
  }

  private value(type: number): ThriftValue {
    switch (type) {
      case BYTE:
        return this.byte();
      case I16:
      case I32:
      case I64:
        return this.zigzag();
      case DOUBLE: {
        const value = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.offset, 8).getFloat64(0, true);
        this.offset += 8;
        return value;
      }
      case BINARY: {
        const length = this.varint();
        const value = this.bytes.subarray(this.offset, this.offset + length);
        this.offset += length;
        return value;
      }
      case LIST:
      case SET: {
        const header = this.byte();
        const size = header >> 4 === 15 ? this.varint() : header >> 4;
        const elementType = header & 0x0f;
        const items: ThriftValue[] = [];
        // Booleans in a list take a byte each (1 true, 2 or 0 false).
        for (let i = 0; i < size; i++) items.push(elementType === TRUE || elementType === FALSE ? this.byte() === TRUE : this.value(elementType));
        return items;
      }
      case MAP: {
        const size = this.varint();
        if (size === 0) return [];
        const types = this.byte();
        const entries: ThriftValue[] = [];
        for (let i = 0; i < size; i++) entries.push([this.value(types >> 4), this.value(types & 0x0f)]);
        return entries;
      }
      case STRUCT:
        return this.struct();
      default:
        throw new Error(`Thrift: unknown field type ${type} at byte ${this.offset}`);
    }
  }

  private byte(): number {
    if (this.offset >= this.bytes.length) throw new Error('Thrift: unexpected end of data');
    return this.bytes[this.offset++]!;
  }

  private varint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = this.byte();
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 0x80;
    }
  }

  private zigzag(): number {
    const value = this.varint();
    return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
  }
}

const utf8Decoder = new TextDecoder();

/** Field readers that name what was expected when a file breaks the schema. */
export function int(struct: ThriftStruct, id: number, what: string): number {
  const value = struct[id];
  if (typeof value !== 'number') throw new Error(`Parquet metadata: ${what} is missing`);
  return value;
}

export function optionalInt(struct: ThriftStruct, id: number): number | undefined {
  const value = struct[id];
  return typeof value === 'number' ? value : undefined;
}

export function text(struct: ThriftStruct, id: number): string | undefined {
  const value = struct[id];
  return value instanceof Uint8Array ? utf8Decoder.decode(value) : undefined;
}

export function child(struct: ThriftStruct, id: number): ThriftStruct | undefined {
  const value = struct[id];
  return value !== undefined && typeof value === 'object' && !(value instanceof Uint8Array) && !Array.isArray(value) ? (value as ThriftStruct) : undefined;
}

export function list(struct: ThriftStruct, id: number): ThriftValue[] {
  const value = struct[id];
  return Array.isArray(value) ? value : [];
}
