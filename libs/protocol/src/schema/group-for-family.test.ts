import { describe, expect, it } from 'vitest';
import { columnFamily, groupForFamily } from './group-for-family.js';
import { DEFAULT_TABLE_SCHEMA, TableSchemaSchema } from './table-schema.js';

const withWildcard = TableSchemaSchema.parse({
  groups: [
    { name: 'anchors', families: ['anchor', 'linkText'] },
    { name: 'rest', families: '*' },
    { name: 'bom', families: ['\ufeffx'] },
  ],
});
const withoutWildcard = TableSchemaSchema.parse({ groups: [{ name: 'contents', families: ['contents', 'ünï'] }] });

describe('groupForFamily', () => {
  it('routes a named family to its group, given as text or bytes', () => {
    expect(groupForFamily(withWildcard, 'anchor')?.name).toBe('anchors');
    expect(groupForFamily(withWildcard, Buffer.from('linkText'))?.name).toBe('anchors');
    expect(groupForFamily(withoutWildcard, Buffer.from('ünï'))?.name).toBe('contents');
  });

  it('routes any other family to the wildcard group, including empty and non-UTF-8 families', () => {
    expect(groupForFamily(withWildcard, 'contents')?.name).toBe('rest');
    expect(groupForFamily(withWildcard, '')?.name).toBe('rest');
    expect(groupForFamily(withWildcard, Buffer.from([0xff, 0xfe]))?.name).toBe('rest');
    expect(groupForFamily(DEFAULT_TABLE_SCHEMA, 'anything')?.name).toBe('default');
  });

  it('matches exactly: no prefix, case or BOM folding', () => {
    expect(groupForFamily(withWildcard, 'anchors')?.name).toBe('rest');
    expect(groupForFamily(withWildcard, 'Anchor')?.name).toBe('rest');
    expect(groupForFamily(withWildcard, Buffer.from('\ufeffx'))?.name).toBe('bom');
    expect(groupForFamily(withWildcard, Buffer.from('x'))?.name).toBe('rest');
  });

  it('finds no group for an unnamed family when there is no wildcard group', () => {
    expect(groupForFamily(withoutWildcard, 'anchor')).toBeUndefined();
    expect(groupForFamily(withoutWildcard, Buffer.from([0xc3]))).toBeUndefined();
  });
});

describe('columnFamily', () => {
  it('is the bytes before the first colon, or the whole column', () => {
    expect(Buffer.from(columnFamily(Buffer.from('anchor:com.cnn')))).toEqual(Buffer.from('anchor'));
    expect(Buffer.from(columnFamily(Buffer.from('a:b:c')))).toEqual(Buffer.from('a'));
    expect(Buffer.from(columnFamily(Buffer.from('bare')))).toEqual(Buffer.from('bare'));
    expect(columnFamily(Buffer.from(':q')).byteLength).toBe(0);
  });
});
