import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE, ERROR_CODES, isErrorCode } from './catalogue.js';
import { ErrorBodySchema, errorFromBody } from './error-body.js';
import { KdiError, isKdiError } from './kdi-error.js';

const DESIGN_CODES = [
  'INVALID_ARGUMENT',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'FAILED_PRECONDITION',
  'ABORTED',
  'WRONG_TABLET',
  'UNAVAILABLE',
  'RESOURCE_EXHAUSTED',
  'UNAUTHENTICATED',
  'PERMISSION_DENIED',
  'DEADLINE_EXCEEDED',
  'DATA_CORRUPTION',
  'INTERNAL',
];

describe('ERROR_CATALOGUE', () => {
  it('holds every code DESIGN §4 names', () => {
    for (const code of DESIGN_CODES) expect(ERROR_CODES).toContain(code);
  });

  it.each(ERROR_CODES)('%s has an error status, a retryability and a one-sentence meaning', (code) => {
    const entry = ERROR_CATALOGUE[code];
    expect(Number.isInteger(entry.status)).toBe(true);
    expect(entry.status).toBeGreaterThanOrEqual(400);
    expect(entry.status).toBeLessThan(600);
    expect(typeof entry.retryable).toBe('boolean');
    expect(entry.meaning.length).toBeGreaterThan(20);
    expect(entry.meaning).toMatch(/^[A-Z].*\.$/);
  });

  it('marks transient conditions retryable and caller mistakes not', () => {
    const retryable = ERROR_CODES.filter((c) => ERROR_CATALOGUE[c].retryable).sort();
    expect(retryable).toEqual(['DEADLINE_EXCEEDED', 'RESOURCE_EXHAUSTED', 'UNAVAILABLE', 'WRONG_TABLET']);
  });

  it('maps the conventional statuses', () => {
    expect(ERROR_CATALOGUE.INVALID_ARGUMENT.status).toBe(400);
    expect(ERROR_CATALOGUE.NOT_FOUND.status).toBe(404);
    expect(ERROR_CATALOGUE.UNAUTHENTICATED.status).toBe(401);
    expect(ERROR_CATALOGUE.PERMISSION_DENIED.status).toBe(403);
    expect(ERROR_CATALOGUE.RESOURCE_EXHAUSTED.status).toBe(429);
    expect(ERROR_CATALOGUE.UNAVAILABLE.status).toBe(503);
    expect(ERROR_CATALOGUE.INTERNAL.status).toBe(500);
  });

  it('recognises codes and nothing else', () => {
    expect(isErrorCode('ABORTED')).toBe(true);
    expect(isErrorCode('aborted')).toBe(false);
    expect(isErrorCode('toString')).toBe(false);
    expect(isErrorCode(400)).toBe(false);
  });
});

describe('KdiError', () => {
  it('exposes status and retryable from the catalogue', () => {
    const e = new KdiError('WRONG_TABLET', 'row "a" is served by s2', { details: { location: 'http://s2' } });
    expect(e).toBeInstanceOf(Error);
    expect(isKdiError(e)).toBe(true);
    expect(isKdiError(new Error('x'))).toBe(false);
    expect(e.name).toBe('KdiError');
    expect(e.status).toBe(421);
    expect(e.retryable).toBe(true);
    expect(e.details).toEqual({ location: 'http://s2' });
  });

  it('rounds retryAfterMs up to a non-negative integer and drops non-finite values', () => {
    expect(new KdiError('RESOURCE_EXHAUSTED', 'x', { retryAfterMs: 12.2 }).retryAfterMs).toBe(13);
    expect(new KdiError('RESOURCE_EXHAUSTED', 'x', { retryAfterMs: -5 }).retryAfterMs).toBe(0);
    expect(new KdiError('RESOURCE_EXHAUSTED', 'x', { retryAfterMs: Number.NaN }).retryAfterMs).toBeUndefined();
  });

  it('keeps its cause out of the body', () => {
    const cause = new Error('disk on fire');
    const e = new KdiError('INTERNAL', 'internal error', { cause });
    expect(e.cause).toBe(cause);
    expect(JSON.stringify(e.toBody())).not.toContain('disk on fire');
  });

  it('omits absent fields from toBody', () => {
    expect(new KdiError('NOT_FOUND', 'no table "t"').toBody()).toEqual({ error: { code: 'NOT_FOUND', message: 'no table "t"' } });
    expect(Object.keys(new KdiError('NOT_FOUND', 'm').toBody('r1').error)).toEqual(['code', 'message', 'requestId']);
  });
});

describe('ErrorBodySchema', () => {
  it.each(ERROR_CODES)('accepts the toBody() output of %s', (code) => {
    const body = new KdiError(code, `m ${code}`, { details: { a: 1 }, retryAfterMs: 10 }).toBody('req-1');
    expect(ErrorBodySchema.safeParse(body).success).toBe(true);
    expect(ErrorBodySchema.safeParse(JSON.parse(JSON.stringify(body))).success).toBe(true);
  });

  it.each([
    ['no error', {}],
    ['error not an object', { error: 'boom' }],
    ['missing code', { error: { message: 'm' } }],
    ['missing message', { error: { code: 'INTERNAL' } }],
    ['unknown code', { error: { code: 'TEAPOT', message: 'm' } }],
    ['numeric message', { error: { code: 'INTERNAL', message: 5 } }],
    ['negative retryAfterMs', { error: { code: 'UNAVAILABLE', message: 'm', retryAfterMs: -1 } }],
    ['fractional retryAfterMs', { error: { code: 'UNAVAILABLE', message: 'm', retryAfterMs: 1.5 } }],
    ['details not an object', { error: { code: 'INTERNAL', message: 'm', details: [1] } }],
    ['unknown field inside', { error: { code: 'INTERNAL', message: 'm', stack: 'at x' } }],
    ['unknown field outside', { error: { code: 'INTERNAL', message: 'm' }, extra: 1 }],
    ['null', null],
  ])('rejects a body with %s', (_name, body) => {
    expect(ErrorBodySchema.safeParse(body).success).toBe(false);
  });
});

describe('errorFromBody', () => {
  it.each(ERROR_CODES)('round-trips %s through its body', (code) => {
    const original = new KdiError(code, `message for ${code}`, { details: { hint: ['x', 1] }, retryAfterMs: 250 });
    const wire = JSON.parse(JSON.stringify(original.toBody('rid-7'))) as unknown;
    const back = errorFromBody(wire, original.status);
    expect(back).toBeInstanceOf(KdiError);
    expect(back.code).toBe(code);
    expect(back.message).toBe(original.message);
    expect(back.details).toEqual(original.details);
    expect(back.retryAfterMs).toBe(250);
    expect(back.requestId).toBe('rid-7');
    expect(back.status).toBe(original.status);
    expect(back.retryable).toBe(original.retryable);
    expect(back.toBody()).toEqual(wire);
  });

  it('turns an unknown code into INTERNAL, keeping the message and the code', () => {
    const e = errorFromBody({ error: { code: 'QUOTA_GONE', message: 'the quota is gone', details: { q: 1 } } }, 418);
    expect(e.code).toBe('INTERNAL');
    expect(e.message).toBe('the quota is gone');
    expect(e.details).toEqual({ q: 1, unknownCode: 'QUOTA_GONE' });
  });

  it('trusts the body code over the status', () => {
    expect(errorFromBody({ error: { code: 'ABORTED', message: 'm' } }, 500).code).toBe('ABORTED');
  });

  it('tolerates extra fields and bad optional fields from newer servers', () => {
    const e = errorFromBody({ error: { code: 'UNAVAILABLE', message: 'm', retryAfterMs: 'soon', extra: true }, v: 2 }, 503);
    expect(e.code).toBe('UNAVAILABLE');
    expect(e.retryAfterMs).toBeUndefined();
  });

  it.each([
    [502, 'UNAVAILABLE', true],
    [503, 'UNAVAILABLE', true],
    [504, 'DEADLINE_EXCEEDED', true],
    [429, 'RESOURCE_EXHAUSTED', true],
    [413, 'INVALID_ARGUMENT', false],
    [401, 'UNAUTHENTICATED', false],
    [418, 'INVALID_ARGUMENT', false],
    [500, 'INTERNAL', false],
    [302, 'INTERNAL', false],
  ] as const)('classifies a non-KDI %i response as %s', (status, code, retryable) => {
    const e = errorFromBody('<html><body>Bad Gateway</body></html>', status);
    expect(e.code).toBe(code);
    expect(e.retryable).toBe(retryable);
    expect(e.message).toContain(`HTTP ${status}`);
    expect(e.message).toContain('Bad Gateway');
  });

  it('quotes only the start of a long foreign body', () => {
    const e = errorFromBody('x'.repeat(10_000), 502);
    expect(e.message.length).toBeLessThan(300);
    expect(errorFromBody('', 503).message).toContain('(empty body)');
    expect(errorFromBody(Buffer.from('proxy says no'), 503).message).toContain('proxy says no');
    expect(errorFromBody({ unrelated: 1 }, 404).message).toContain('{"unrelated":1}');
  });
});
