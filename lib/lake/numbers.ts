/**
 * Number columns built in loops. V8 keeps these fast where the obvious alternatives are not:
 * `Float64Array.from` with a mapping function is an order of magnitude slower than a loop, and a
 * plain array that starts with whole numbers changes its element kind (and deoptimizes the code
 * using it) at its first fraction, again for every new array.
 */

/** A number column of `length` rows, row i being f(i). */
export function numberColumn(length: number, f: (i: number) => number): Float64Array {
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) out[i] = f(i);
  return out;
}

/** A growing list of numbers in a typed array; positions never written read as `unset`. */
export class NumberList {
  private data: Float64Array;
  private size = 0;

  constructor(
    private readonly unset = 0,
    capacity = 1024,
  ) {
    this.data = new Float64Array(capacity).fill(unset);
  }

  get length(): number {
    return this.size;
  }

  push(value: number): void {
    if (this.size === this.data.length) this.grow(this.size + 1);
    this.data[this.size++] = value;
  }

  get(position: number): number {
    return position < this.size ? this.data[position]! : this.unset;
  }

  set(position: number, value: number): void {
    if (position >= this.data.length) this.grow(position + 1);
    this.data[position] = value;
    if (position >= this.size) this.size = position + 1;
  }

  /** Adds to the number at a position written before. */
  add(position: number, value: number): void {
    this.data[position]! += value;
  }

  /** The numbers so far (a view: later writes may or may not show in it). */
  values(): Float64Array {
    return this.data.subarray(0, this.size);
  }

  private grow(least: number): void {
    const next = new Float64Array(Math.max(least, this.data.length * 2));
    next.set(this.data);
    next.fill(this.unset, this.data.length);
    this.data = next;
  }
}

/** Room for a position in a packed (key, position) number: 2^26 positions, keys below 2^27. */
const POSITION_SPACE = 2 ** 26;
const KEY_SPACE = 2 ** 27;

/**
 * Positions 0..n-1 ordered by their whole-number keys (0 <= key < 2^27), ties in position order.
 * Each (key, position) is packed into one number and the numbers sorted natively, which is many
 * times faster than sorting positions with a comparator.
 */
export function orderByKey(keys: ArrayLike<number>): Int32Array {
  if (keys.length >= POSITION_SPACE) throw new Error(`orderByKey: ${keys.length} positions, more than ${POSITION_SPACE} can be ordered`);
  const packed = new Float64Array(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (!(key >= 0 && key < KEY_SPACE && Number.isInteger(key))) throw new Error(`orderByKey: key ${key} at position ${i} is not a whole number below ${KEY_SPACE}`);
    packed[i] = key * POSITION_SPACE + i;
  }
  packed.sort();
  const order = new Int32Array(keys.length);
  for (let k = 0; k < order.length; k++) order[k] = packed[k]! % POSITION_SPACE;
  return order;
}
