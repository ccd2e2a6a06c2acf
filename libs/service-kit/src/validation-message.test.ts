import { describe, expect, it } from 'vitest';
import { validationError } from './validation-message.js';

describe('validationError', () => {
  it('names every bad field and unknown keys', () => {
    const e = validationError(
      [
        { instancePath: '/ttlMs', message: 'Invalid input: expected number, received string' },
        { keyword: 'unrecognized_keys', instancePath: '', params: { keys: ['tll'] } },
      ],
      'body',
    );
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toBe('body.ttlMs: Invalid input: expected number, received string; body: unknown field "tll" (unknown fields are rejected)');
  });

  it('names the known fields beside an unknown one when told them', () => {
    const issue = { keyword: 'unrecognized_keys', instancePath: '', params: { keys: ['to'] } };
    expect(validationError([issue], 'body', { knownFields: () => ['target'] }).message).toBe('body: unknown field "to" (unknown fields are rejected; the known ones: target)');
    expect(validationError([issue], 'querystring', { knownFields: () => [] }).message).toBe('query: unknown field "to" (unknown fields are rejected; this takes no fields)');
  });

  it('names the URL wildcard only when told its name', () => {
    const issue = { instancePath: '/*', message: 'bad' };
    expect(validationError([issue], 'params').message).toBe('url.*: bad');
    expect(validationError([issue], 'params', { wildcardName: 'path' }).message).toBe('path: bad');
  });

  it('says where an issue-less failure was', () => {
    expect(validationError([], 'querystring').message).toBe('invalid request query');
  });
});
