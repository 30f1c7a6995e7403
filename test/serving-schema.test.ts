import { describe, expect, it } from 'vitest';
import { FEATURES, FEATURE_NAMES } from '../lib/features/deviceFeatures.js';
import { batchRequest, deviceFeaturesRequest } from '../lib/serving/contract.js';
import { array, nullable, number, object, optional, string, validate } from '../lib/serving/schema.js';

describe('schema DSL', () => {
  const thing = object({
    name: string({ minLength: 1, maxLength: 5 }),
    count: number({ minimum: 0, maximum: 10, integer: true }),
    note: optional(string()),
    parent: nullable(string()),
    tags: array(object({ id: number({ minimum: 0 }) }), { maxItems: 2 }),
  });

  it('returns the value when valid, with optional fields absent', () => {
    expect(validate(thing, { name: 'a', count: 3, parent: null, tags: [{ id: 1 }] })).toEqual({ ok: true, value: { name: 'a', count: 3, parent: null, tags: [{ id: 1 }] } });
  });

  it('reports every bad field by path', () => {
    const result = validate(thing, { name: '', count: 3.5, parent: 1, tags: [{ id: -1 }, { id: 'x', extra: true }], other: 0 });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((i) => i.field)).toEqual(['name', 'count', 'parent', 'tags[0].id', 'tags[1].id', 'tags[1].extra', 'other']);
    expect(result.issues[1]!.message).toBe('must be an integer from 0 to 10 (a whole number), got 3.5');
    expect(result.issues[6]!.message).toContain('not a known field');
  });

  it('emits OpenAPI 3.0 schema objects', () => {
    expect(thing.toJsonSchema()).toEqual({
      type: 'object',
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 5 },
        count: { type: 'integer', minimum: 0, maximum: 10 },
        note: { type: 'string' },
        parent: { type: 'string', nullable: true },
        tags: { type: 'array', maxItems: 2, items: { type: 'object', properties: { id: { type: 'number', minimum: 0 } }, required: ['id'], additionalProperties: false } },
      },
      required: ['name', 'count', 'parent', 'tags'],
      additionalProperties: false,
    });
  });
});

describe('API contract', () => {
  it('builds the request schema from the ONE feature definition', () => {
    expect(Object.keys(deviceFeaturesRequest.properties)).toEqual(['device_id', ...FEATURE_NAMES]);
    const json = deviceFeaturesRequest.toJsonSchema();
    for (const f of FEATURES) expect(json.properties?.[f.name]).toMatchObject({ minimum: f.min, maximum: f.max, type: f.integer ? 'integer' : 'number', description: f.description });
    // The documented example is itself valid.
    expect(validate(deviceFeaturesRequest, json.example).ok).toBe(true);
    expect(batchRequest.toJsonSchema().properties?.devices?.items).toEqual(json);
  });

  it('accepts every feature at its bounds and rejects just outside them', () => {
    const base = Object.fromEntries([['device_id', 'D'], ...FEATURES.map((f) => [f.name, f.min])]);
    expect(validate(deviceFeaturesRequest, base).ok).toBe(true);
    expect(validate(deviceFeaturesRequest, { ...base, ...Object.fromEntries(FEATURES.map((f) => [f.name, f.max])) }).ok).toBe(true);
    for (const f of FEATURES) {
      const below = validate(deviceFeaturesRequest, { ...base, [f.name]: f.min - (f.integer ? 1 : 1e-9) });
      expect(below.ok ? [] : below.issues.map((i) => i.field)).toEqual([f.name]);
      const above = validate(deviceFeaturesRequest, { ...base, [f.name]: f.max + (f.integer ? 1 : 1e-3) });
      expect(above.ok ? [] : above.issues.map((i) => i.field)).toEqual([f.name]);
    }
  });
});
