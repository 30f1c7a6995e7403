import { readFileSync } from 'node:fs';

/** A problem in a CSV file, named by file and 1-based line so a person can fix it. */
export class CsvError extends Error {
  constructor(readonly file: string, readonly line: number, problem: string) {
    super(`${file}:${line}: ${problem}`);
    this.name = 'CsvError';
  }
}

export interface CsvRecord {
  /** 1-based line number in the file, for error messages. */
  readonly line: number;
  readonly values: Readonly<Record<string, string>>;
}

/**
 * Parses a small reference CSV: a header line, then one record per line. Fields are trimmed and
 * may be double-quoted (with "" for a quote) so that names can contain commas. Blank lines and
 * lines starting with `#` are skipped, so files can carry a comment saying where they came from.
 */
export function parseCsv(text: string, file: string, requiredColumns: readonly string[]): CsvRecord[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let header: string[] | undefined;
  const records: CsvRecord[] = [];
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) return;
    const fields = splitFields(raw, file, line);
    if (!header) {
      header = fields;
      const missing = requiredColumns.filter((column) => !fields.includes(column));
      if (missing.length > 0) throw new CsvError(file, line, `header lacks column(s) ${missing.join(', ')}; expected ${requiredColumns.join(',')}`);
      return;
    }
    if (fields.length !== header.length) throw new CsvError(file, line, `expected ${header.length} fields, got ${fields.length}`);
    const values: Record<string, string> = {};
    header.forEach((column, i) => (values[column] = fields[i]!));
    records.push({ line, values });
  });
  if (!header) throw new CsvError(file, 1, `no header line; expected ${requiredColumns.join(',')}`);
  return records;
}

/** Reads and parses a CSV file; an unreadable file is an error naming it. */
export function readCsvFile(file: string, requiredColumns: readonly string[]): CsvRecord[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  return parseCsv(text, file, requiredColumns);
}

function splitFields(raw: string, file: string, line: number): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    while (raw[i] === ' ' || raw[i] === '\t') i++;
    let field = '';
    if (raw[i] === '"') {
      i++;
      for (;;) {
        if (i >= raw.length) throw new CsvError(file, line, 'unterminated quoted field');
        if (raw[i] === '"' && raw[i + 1] === '"') {
          field += '"';
          i += 2;
        } else if (raw[i] === '"') {
          i++;
          break;
        } else field += raw[i++];
      }
      while (raw[i] === ' ' || raw[i] === '\t') i++;
      if (i < raw.length && raw[i] !== ',') throw new CsvError(file, line, 'text after a closing quote');
    } else {
      const end = raw.indexOf(',', i);
      field = raw.slice(i, end === -1 ? raw.length : end).trim();
      i = end === -1 ? raw.length : end;
    }
    fields.push(field);
    if (i >= raw.length) return fields;
    i++; // the comma
  }
}
