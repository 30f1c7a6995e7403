/**
 * The key index of a partition: each live key's version (modified_at), the file that holds it and
 * its row there.
 * A day of lab results holds a few hundred thousand keys and every upsert looks each of its
 * keys up and adds the fresh ones; as a `Map` of strings that was a string and a boxed
 * number per key for the collector to copy, and a string per key cloned from the worker that
 * encoded the file. Here the keys of a file stay in one string (`KeyList`), and the index is typed
 * arrays over those strings: open addressing, FNV-1a hashes of the UTF-16 code units.
 */

/** The keys of a file's rows as one string and where each ends: one object to move between threads, not a string per row. */
export interface KeyList {
  readonly text: string;
  /** ends[i]: where row i's key ends in `text` (it starts where row i - 1's ends). */
  readonly ends: Int32Array;
}

export function keyListOf(keys: readonly string[]): KeyList {
  const ends = new Int32Array(keys.length);
  let end = 0;
  for (let i = 0; i < keys.length; i++) ends[i] = end += keys[i]!.length;
  return { text: keys.join(''), ends };
}

export function keyStart(list: KeyList, i: number): number {
  return i === 0 ? 0 : list.ends[i - 1]!;
}

export function keyAt(list: KeyList, i: number): string {
  return list.text.slice(keyStart(list, i), list.ends[i]);
}

/** FNV-1a of text[start, end)'s UTF-16 code units, as a signed 32-bit number. */
export function fnv1a(text: string, start = 0, end = text.length): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  // The offset basis alone (an empty key) is above 2^31: as stored in an Int32Array.
  return hash | 0;
}

const FIRST_CAPACITY = 1024;

function grown<A extends Int32Array | Float64Array>(array: A, length: number): A {
  const bigger = new (array.constructor as new (length: number) => A)(length);
  bigger.set(array);
  return bigger;
}

export class KeyIndex {
  /** The strings keys are spelled in; an entry names one and a range of it. */
  private readonly texts: string[] = [];
  private textOf = new Int32Array(FIRST_CAPACITY);
  private startOf = new Int32Array(FIRST_CAPACITY);
  private endOf = new Int32Array(FIRST_CAPACITY);
  private hashes = new Int32Array(FIRST_CAPACITY);
  private versions = new Float64Array(FIRST_CAPACITY);
  private files = new Int32Array(FIRST_CAPACITY);
  private rows = new Int32Array(FIRST_CAPACITY);
  /** entry + 1 per slot, 0 for free; at most half full. */
  private slots = new Int32Array(2 * FIRST_CAPACITY);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The entry of the key spelled by text[start, end), or -1; `hash` is the key's fnv1a, when known. */
  find(text: string, start = 0, end = text.length, hash = fnv1a(text, start, end)): number {
    return this.slots[this.slotOf(text, start, end, hash)]! - 1;
  }

  /** modified_at of an entry's version. */
  version(entry: number): number {
    return this.versions[entry]!;
  }

  /** The file (its position in the manifest, or a caller's marker) that holds an entry's version. */
  file(entry: number): number {
    return this.files[entry]!;
  }

  /** The row of its file that holds an entry's version. */
  row(entry: number): number {
    return this.rows[entry]!;
  }

  /** Sets the version, file and row of the key spelled by text[start, end), adding the key when new; `hash` as for `find`. */
  set(text: string, start: number, end: number, version: number, file: number, row: number, hash = fnv1a(text, start, end)): void {
    const slot = this.slotOf(text, start, end, hash);
    let entry = this.slots[slot]! - 1;
    if (entry < 0) {
      entry = this.add(text, start, end, hash);
      this.slots[slot] = entry + 1;
      if (2 * this.count > this.slots.length) this.rehash();
    }
    this.versions[entry] = version;
    this.files[entry] = file;
    this.rows[entry] = row;
  }

  /** The slot of the key's entry, or the free slot where it would go. */
  private slotOf(text: string, start: number, end: number, hash: number): number {
    const mask = this.slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot]! - 1;
      if (entry < 0 || (this.hashes[entry] === hash && this.spells(entry, text, start, end))) return slot;
    }
  }

  private spells(entry: number, text: string, start: number, end: number): boolean {
    const from = this.startOf[entry]!;
    if (this.endOf[entry]! - from !== end - start) return false;
    const own = this.texts[this.textOf[entry]!]!;
    for (let i = 0; i < end - start; i++) if (own.charCodeAt(from + i) !== text.charCodeAt(start + i)) return false;
    return true;
  }

  private add(text: string, start: number, end: number, hash: number): number {
    if (this.count === this.textOf.length) this.grow();
    // Consecutive keys of one file share its string.
    if (this.texts[this.texts.length - 1] !== text) this.texts.push(text);
    const entry = this.count++;
    this.textOf[entry] = this.texts.length - 1;
    this.startOf[entry] = start;
    this.endOf[entry] = end;
    this.hashes[entry] = hash;
    return entry;
  }

  private grow(): void {
    const length = 2 * this.textOf.length;
    this.textOf = grown(this.textOf, length);
    this.startOf = grown(this.startOf, length);
    this.endOf = grown(this.endOf, length);
    this.hashes = grown(this.hashes, length);
    this.versions = grown(this.versions, length);
    this.files = grown(this.files, length);
    this.rows = grown(this.rows, length);
  }

  private rehash(): void {
    this.slots = new Int32Array(2 * this.slots.length);
    const mask = this.slots.length - 1;
    for (let entry = 0; entry < this.count; entry++) {
      let slot = this.hashes[entry]! & mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
      this.slots[slot] = entry + 1;
    }
  }
}
