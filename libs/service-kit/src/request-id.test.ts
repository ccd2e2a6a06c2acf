import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { REQUEST_ID_HEADER, requestIdOf } from './request-id.js';

const req = (id?: string) => ({ headers: id === undefined ? {} : { [REQUEST_ID_HEADER]: id } }) as unknown as IncomingMessage;

describe('requestIdOf', () => {
  it('keeps a plain token', () => {
    expect(requestIdOf(req('abc-123._:x'))).toBe('abc-123._:x');
  });

  it('replaces a missing, forged or oversized id by a UUID', () => {
    for (const id of [undefined, 'a\nb', 'a b', 'x'.repeat(129), '']) {
      expect(requestIdOf(req(id))).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    }
  });
});
