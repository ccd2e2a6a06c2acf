import { KdiError } from '@kdi/protocol';
import { describe, expect, it } from 'vitest';
import { classifyFastifyError, type FastifyErrorTexts } from './fastify-errors.js';

const TEXTS: FastifyErrorTexts = {
  bodyTooLarge: { message: 'too large: at most 10 bytes', details: { limit: 10 } },
  emptyJsonBody: 'empty JSON body',
  invalidMediaType: { message: 'send JSON' },
};

/** An error as Fastify builds them: an Error with a code and a status. */
function fastifyError(code: string, statusCode: number, message = code): Error {
  return Object.assign(new Error(message), { code, statusCode });
}

describe('classifyFastifyError', () => {
  it('passes a KdiError through', () => {
    const e = new KdiError('NOT_FOUND', 'no such lock');
    expect(classifyFastifyError(e, TEXTS)).toBe(e);
  });

  it('names every bad field of a validation error, with the server’s wildcard name', () => {
    const error = Object.assign(new Error('bad'), { statusCode: 400, validation: [{ instancePath: '/*', message: 'too long' }], validationContext: 'params' });
    expect(classifyFastifyError(error, TEXTS).message).toBe('url.*: too long');
    const named = classifyFastifyError(error, { ...TEXTS, validation: { wildcardName: 'path' } });
    expect(named.code).toBe('INVALID_ARGUMENT');
    expect(named.message).toBe('path: too long');
    const noContext = Object.assign(new Error('bad'), { validation: [{ instancePath: '/x', message: 'bad' }] });
    expect(classifyFastifyError(noContext, TEXTS).message).toBe('request.x: bad');
  });

  it("uses the server's texts for an oversized body, an empty JSON body and an unsupported media type", () => {
    const large = fastifyError('FST_ERR_CTP_BODY_TOO_LARGE', 413);
    const k = classifyFastifyError(large, TEXTS);
    expect(k.code).toBe('INVALID_ARGUMENT');
    expect(k.message).toBe('too large: at most 10 bytes');
    expect(k.details).toEqual({ limit: 10 });
    expect(k.cause).toBe(large);
    expect(classifyFastifyError(fastifyError('FST_ERR_CTP_EMPTY_JSON_BODY', 400), TEXTS).message).toBe('empty JSON body');
    const media = classifyFastifyError(fastifyError('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415), TEXTS);
    expect([media.code, media.message, media.details]).toEqual(['INVALID_ARGUMENT', 'send JSON', undefined]);
    expect(media.toBody('r1')).toEqual({ error: { code: 'INVALID_ARGUMENT', message: 'send JSON', requestId: 'r1' } });
  });

  it('says when a JSON body does not parse', () => {
    expect(classifyFastifyError(fastifyError('FST_ERR_CTP_INVALID_JSON_BODY', 400), TEXTS).message).toBe(
      'the request body is not valid JSON (its Content-Type says application/json)',
    );
    const syntax = Object.assign(new SyntaxError('Unexpected token } in JSON at position 9'), { statusCode: 400 });
    const k = classifyFastifyError(syntax, TEXTS);
    expect([k.code, k.message]).toEqual(['INVALID_ARGUMENT', 'the request body is not valid JSON: Unexpected token } in JSON at position 9']);
  });

  it("maps Fastify's other client errors by status, keeping their message", () => {
    const cases: [number, string][] = [
      [400, 'INVALID_ARGUMENT'],
      [401, 'UNAUTHENTICATED'],
      [403, 'PERMISSION_DENIED'],
      [404, 'NOT_FOUND'],
      [408, 'DEADLINE_EXCEEDED'],
      [413, 'INVALID_ARGUMENT'],
      [415, 'INVALID_ARGUMENT'],
      [429, 'RESOURCE_EXHAUSTED'],
    ];
    for (const [status, code] of cases) {
      const k = classifyFastifyError(fastifyError('FST_ERR_SOMETHING', status, `failed ${status}`), TEXTS);
      expect([k.code, k.message], String(status)).toEqual([code, `failed ${status}`]);
    }
    expect(classifyFastifyError({ statusCode: 400 }, TEXTS).message).toBe('HTTP 400');
  });

  it('hides anything else as INTERNAL', () => {
    for (const error of [new Error('secret detail'), fastifyError('FST_ERR_X', 500, 'secret detail'), new SyntaxError('secret detail'), 'a string', null]) {
      const k = classifyFastifyError(error, TEXTS);
      expect([k.code, k.message]).toEqual(['INTERNAL', 'internal error']);
    }
  });
});
