/**
 * A tiny schema DSL: each schema object both validates a parsed JSON value (collecting one
 * issue per bad field, named by its path) and emits itself as an OpenAPI 3.0 schema object.
 * Handlers validate with the same objects that `GET /api/openapi.json` documents, so the
 * document cannot drift from what the API accepts.
 */

/** One problem with one field of a request, e.g. { field: 'devices[3].error_rate_7d', message: '...' }. */
export interface Issue {
  readonly field: string;
  readonly message: string;
}

/** The subset of OpenAPI 3.0 schema objects these schemas emit. */
export interface JsonSchema {
  readonly type?: 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean';
  readonly description?: string;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean | JsonSchema;
  readonly items?: JsonSchema;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly enum?: readonly (string | number)[];
  readonly nullable?: boolean;
  readonly example?: unknown;
}

export interface Schema<T> {
  /**
   * Checks `value` found at `path` (empty for the root); appends an issue per bad field and
   * returns the value when it is valid, undefined otherwise.
   */
  check(value: unknown, path: string, issues: Issue[]): T | undefined;
  /** What `check` accepts, as an OpenAPI 3.0 schema object. */
  toJsonSchema(): JsonSchema;
  /** Set by `optional`: the enclosing object does not require the property. */
  readonly optional?: boolean;
  /** Short form of what is expected, used in messages ("a number from 0 to 1"). */
  readonly expected: string;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

/** A value as shown in a message: JSON, shortened. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${show(value)}`;
}

const label = (path: string): string => path || 'body';

export interface NumberOptions {
  readonly minimum?: number;
  readonly maximum?: number;
  readonly integer?: boolean;
  readonly description?: string;
  readonly example?: number;
}

function numberExpected(integer: boolean, minimum: number | undefined, maximum: number | undefined): string {
  if (integer && minimum === 0 && maximum === 1) return 'the integer 0 or 1';
  const kind = integer ? 'an integer' : 'a number';
  if (minimum !== undefined && maximum !== undefined) return `${kind} from ${minimum} to ${maximum}`;
  if (minimum !== undefined) return `${kind} >= ${minimum}`;
  if (maximum !== undefined) return `${kind} <= ${maximum}`;
  return integer ? 'an integer' : 'a finite number';
}

/** A JSON number (finite: JSON has no NaN, but 1e999 parses to Infinity), optionally an integer within bounds. */
export function number(options: NumberOptions = {}): Schema<number> {
  const { minimum, maximum } = options;
  const integer = options.integer ?? false;
  const expected = numberExpected(integer, minimum, maximum);
  return {
    expected,
    check(value, path, issues) {
      if (typeof value !== 'number') {
        issues.push({ field: label(path), message: `must be ${expected}, got ${typeName(value)}` });
        return undefined;
      }
      if (!Number.isFinite(value)) {
        issues.push({ field: label(path), message: `must be a finite number (${expected}), got ${show(value)}` });
        return undefined;
      }
      if (integer && !Number.isInteger(value)) {
        issues.push({ field: label(path), message: `must be ${expected} (a whole number), got ${show(value)}` });
        return undefined;
      }
      if ((minimum !== undefined && value < minimum) || (maximum !== undefined && value > maximum)) {
        issues.push({ field: label(path), message: `must be ${expected}, got ${show(value)}` });
        return undefined;
      }
      return value;
    },
    toJsonSchema: () => ({
      type: integer ? 'integer' : 'number',
      ...(minimum !== undefined ? { minimum } : {}),
      ...(maximum !== undefined ? { maximum } : {}),
      ...(options.description ? { description: options.description } : {}),
      ...(options.example !== undefined ? { example: options.example } : {}),
    }),
  };
}

/** Any JSON value, checked elsewhere (e.g. batch items, validated one by one to report errors by index). */
export function anyValue(options: { readonly description?: string } = {}): Schema<unknown> {
  return {
    expected: 'any JSON value',
    check: (value) => value,
    toJsonSchema: () => ({ ...(options.description ? { description: options.description } : {}) }),
  };
}

export interface StringOptions {
  readonly minLength?: number;
  readonly maxLength?: number;
  /** Regular expression source the whole string must match. */
  readonly pattern?: string;
  /** Says what the pattern means, for messages. */
  readonly patternMeaning?: string;
  readonly description?: string;
  readonly example?: string;
}

export function string(options: StringOptions = {}): Schema<string> {
  const minLength = options.minLength ?? 0;
  const maxLength = options.maxLength;
  const pattern = options.pattern === undefined ? undefined : new RegExp(options.pattern, 'u');
  const expected = `a string of ${minLength}${maxLength === undefined ? '+' : ` to ${maxLength}`} characters${options.patternMeaning ? ` (${options.patternMeaning})` : ''}`;
  return {
    expected,
    check(value, path, issues) {
      if (typeof value !== 'string') {
        issues.push({ field: label(path), message: `must be ${expected}, got ${typeName(value)}` });
        return undefined;
      }
      if (value.length < minLength || (maxLength !== undefined && value.length > maxLength) || (pattern && !pattern.test(value))) {
        issues.push({ field: label(path), message: `must be ${expected}, got ${show(value)}` });
        return undefined;
      }
      return value;
    },
    toJsonSchema: () => ({
      type: 'string',
      ...(minLength > 0 ? { minLength } : {}),
      ...(maxLength !== undefined ? { maxLength } : {}),
      ...(options.pattern ? { pattern: options.pattern } : {}),
      ...(options.description ? { description: options.description } : {}),
      ...(options.example !== undefined ? { example: options.example } : {}),
    }),
  };
}

export function boolean(options: { readonly description?: string } = {}): Schema<boolean> {
  return {
    expected: 'true or false',
    check(value, path, issues) {
      if (typeof value === 'boolean') return value;
      issues.push({ field: label(path), message: `must be true or false, got ${typeName(value)}` });
      return undefined;
    },
    toJsonSchema: () => ({ type: 'boolean', ...(options.description ? { description: options.description } : {}) }),
  };
}

export function oneOf<const V extends string>(values: readonly V[], options: { readonly description?: string } = {}): Schema<V> {
  const expected = `one of ${values.join(', ')}`;
  return {
    expected,
    check(value, path, issues) {
      if (typeof value === 'string' && (values as readonly string[]).includes(value)) return value as V;
      issues.push({ field: label(path), message: `must be ${expected}, got ${typeName(value)}` });
      return undefined;
    },
    toJsonSchema: () => ({ type: 'string', enum: [...values], ...(options.description ? { description: options.description } : {}) }),
  };
}

/** The property may be absent (or undefined); the enclosing object does not require it. */
export function optional<T>(schema: Schema<T>): Schema<T | undefined> {
  return {
    expected: schema.expected,
    optional: true,
    check: (value, path, issues) => (value === undefined ? undefined : schema.check(value, path, issues)),
    toJsonSchema: () => schema.toJsonSchema(),
  };
}

/** The value may be null. */
export function nullable<T>(schema: Schema<T>): Schema<T | null> {
  return {
    expected: `${schema.expected} or null`,
    check: (value, path, issues) => (value === null ? null : schema.check(value, path, issues)),
    toJsonSchema: () => ({ ...schema.toJsonSchema(), nullable: true }),
  };
}

export interface ArrayOptions {
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly description?: string;
}

export function array<T>(items: Schema<T>, options: ArrayOptions = {}): Schema<T[]> {
  const minItems = options.minItems ?? 0;
  const maxItems = options.maxItems;
  const expected = `an array of ${minItems}${maxItems === undefined ? '+' : ` to ${maxItems}`} items`;
  return {
    expected,
    check(value, path, issues) {
      if (!Array.isArray(value)) {
        issues.push({ field: label(path), message: `must be ${expected}, got ${typeName(value)}` });
        return undefined;
      }
      if (value.length < minItems || (maxItems !== undefined && value.length > maxItems)) {
        issues.push({ field: label(path), message: `must be ${expected}, got ${value.length} items` });
        return undefined;
      }
      const out: T[] = [];
      let valid = true;
      for (let i = 0; i < value.length; i++) {
        const item = items.check(value[i], `${path}[${i}]`, issues);
        if (item === undefined) valid = false;
        else out.push(item);
      }
      return valid ? out : undefined;
    },
    toJsonSchema: () => ({
      type: 'array',
      items: items.toJsonSchema(),
      ...(minItems > 0 ? { minItems } : {}),
      ...(maxItems !== undefined ? { maxItems } : {}),
      ...(options.description ? { description: options.description } : {}),
    }),
  };
}

/** An object whose every property is `values` (a map), e.g. contributions by feature name. */
export function record<T>(values: Schema<T>, options: { readonly description?: string } = {}): Schema<Record<string, T>> {
  return {
    expected: `an object of ${values.expected}`,
    check(value, path, issues) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        issues.push({ field: label(path), message: `must be an object, got ${typeName(value)}` });
        return undefined;
      }
      const out: Record<string, T> = {};
      let valid = true;
      for (const [key, item] of Object.entries(value)) {
        const checked = values.check(item, path ? `${path}.${key}` : key, issues);
        if (checked === undefined) valid = false;
        else out[key] = checked;
      }
      return valid ? out : undefined;
    },
    toJsonSchema: () => ({ type: 'object', additionalProperties: values.toJsonSchema(), ...(options.description ? { description: options.description } : {}) }),
  };
}

type Shape = Readonly<Record<string, Schema<unknown>>>;
export type ObjectOf<P extends Shape> = { [K in keyof P]: Infer<P[K]> };

export interface ObjectSchema<P extends Shape> extends Schema<ObjectOf<P>> {
  readonly properties: P;
}

/**
 * An object with exactly these properties: every non-optional one is required, and any other
 * property is reported as unknown (a misspelt field is an error, not silently ignored).
 */
export function object<P extends Shape>(properties: P, options: { readonly description?: string; readonly example?: unknown } = {}): ObjectSchema<P> {
  const keys = Object.keys(properties);
  const known = new Set(keys);
  return {
    properties,
    expected: 'an object',
    check(value, path, issues) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        issues.push({ field: label(path), message: `must be a JSON object, got ${typeName(value)}` });
        return undefined;
      }
      const input = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      let valid = true;
      for (const key of keys) {
        const schema = properties[key] as Schema<unknown>;
        const field = path ? `${path}.${key}` : key;
        if (!Object.hasOwn(input, key) || input[key] === undefined) {
          if (schema.optional) continue;
          issues.push({ field, message: `is required (${schema.expected})` });
          valid = false;
          continue;
        }
        const checked = schema.check(input[key], field, issues);
        if (checked === undefined) valid = false;
        else out[key] = checked;
      }
      for (const key of Object.keys(input)) {
        if (known.has(key)) continue;
        issues.push({ field: path ? `${path}.${key}` : key, message: `is not a known field (expected ${keys.join(', ')})` });
        valid = false;
      }
      return valid ? (out as ObjectOf<P>) : undefined;
    },
    toJsonSchema: () => {
      const required = keys.filter((k) => !(properties[k] as Schema<unknown>).optional);
      return {
        type: 'object',
        ...(options.description ? { description: options.description } : {}),
        properties: Object.fromEntries(keys.map((k) => [k, (properties[k] as Schema<unknown>).toJsonSchema()])),
        ...(required.length > 0 ? { required } : {}),
        additionalProperties: false,
        ...(options.example !== undefined ? { example: options.example } : {}),
      };
    },
  };
}

/** Runs `schema` over `value`: the valid value, or every issue found. */
export function validate<T>(schema: Schema<T>, value: unknown): { readonly ok: true; readonly value: T } | { readonly ok: false; readonly issues: readonly Issue[] } {
  const issues: Issue[] = [];
  const checked = schema.check(value, '', issues);
  if (issues.length === 0 && checked !== undefined) return { ok: true, value: checked };
  return { ok: false, issues: issues.length > 0 ? issues : [{ field: 'body', message: 'is invalid' }] };
}
