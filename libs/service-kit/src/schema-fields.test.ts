import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { knownFieldsAt } from './schema-fields.js';

describe('knownFieldsAt', () => {
  const schema = z
    .strictObject({
      target: z.string().optional(),
      schema: z.strictObject({ groups: z.array(z.strictObject({ name: z.string(), columns: z.array(z.string()) })) }).optional(),
      byName: z.record(z.string(), z.strictObject({ ttlMs: z.number() })),
    })
    .transform((v) => v);

  it('names the fields of the object at the issue', () => {
    expect(knownFieldsAt(schema, '')).toEqual(['byName', 'schema', 'target']);
    expect(knownFieldsAt(schema, '/schema')).toEqual(['groups']);
    expect(knownFieldsAt(schema, '/schema/groups/0')).toEqual(['columns', 'name']);
    expect(knownFieldsAt(schema, '/byName/x')).toEqual(['ttlMs']);
  });

  it('answers undefined where there is no object or no zod schema', () => {
    expect(knownFieldsAt(schema, '/target')).toBeUndefined();
    expect(knownFieldsAt(schema, '/nope/deeper')).toBeUndefined();
    expect(knownFieldsAt({ type: 'object', properties: {} }, '')).toBeUndefined();
    expect(knownFieldsAt(undefined, '')).toBeUndefined();
  });
});
