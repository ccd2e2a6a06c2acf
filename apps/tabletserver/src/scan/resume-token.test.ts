import { DEFAULT_LIMITS, KdiError } from '@kdi/protocol';
import { describe, expect, it } from 'vitest';
import { decodeResumeToken, encodeResumeToken, predicateDigest } from './resume-token.js';
import type { ScanPosition } from './scan-position.js';

const digest = predicateDigest('t', "row ~= 'a'");
const key: ScanPosition = { kind: 'key', row: Buffer.from('row\u00e9\0\xff', 'latin1'), column: Buffer.from('f:q'), timestamp: -(2 ** 53 - 1) };

function refusal(token: string, d: Uint8Array = digest, limits = DEFAULT_LIMITS): string {
  try {
    decodeResumeToken(token, d, limits);
  } catch (e) {
    expect(e).toBeInstanceOf(KdiError);
    expect((e as KdiError).code).toBe('INVALID_ARGUMENT');
    expect((e as KdiError).details).toEqual({ field: 'resume' });
    return (e as KdiError).message;
  }
  throw new Error(`token ${token} was accepted`);
}

describe('resume tokens', () => {
  it('round-trip both position kinds, bytes exactly', () => {
    expect(decodeResumeToken(encodeResumeToken(key, digest), digest, DEFAULT_LIMITS)).toEqual(key);
    const after: ScanPosition = { kind: 'after-row', row: Buffer.alloc(0) };
    expect(decodeResumeToken(encodeResumeToken(after, digest), digest, DEFAULT_LIMITS)).toEqual(after);
    expect(encodeResumeToken(key, digest)).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('binds a token to its table and predicate', () => {
    const token = encodeResumeToken(key, digest);
    expect(refusal(token, predicateDigest('t', "row ~= 'b'"))).toMatch(/another predicate or table/);
    expect(refusal(token, predicateDigest('t2', "row ~= 'a'"))).toMatch(/another predicate or table/);
  });

  it('refuses every malformation with a message saying what is wrong', () => {
    const good = Buffer.from(encodeResumeToken(key, digest), 'base64url');
    const enc = (buf: Buffer) => buf.toString('base64url');
    expect(refusal('abc+def')).toMatch(/"\+" at character 3 is not base64url/);
    expect(refusal('abc=')).toMatch(/"=" at character 3/);
    expect(refusal('')).toMatch(/too short/);
    expect(refusal(`${enc(good)}A`)).toMatch(/not canonical|garbage/);
    expect(refusal('AB')).toMatch(/not canonical/);
    expect(refusal(enc(good.subarray(0, 12)))).toMatch(/too short|runs past/);
    expect(refusal(enc(good.subarray(0, good.length - 3)))).toMatch(/inside the timestamp/);
    expect(refusal(enc(Buffer.concat([good, Buffer.from([0])])))).toMatch(/garbage/);
    const badVersion = Buffer.from(good);
    badVersion[0] = 9;
    expect(refusal(enc(badVersion))).toMatch(/version 9/);
    const badKind = Buffer.from(good);
    badKind[1] = 7;
    expect(refusal(enc(badKind))).toMatch(/kind 7/);
    const hugeRow = Buffer.from(good);
    hugeRow.writeUInt32LE(0xffffffff, 10);
    expect(refusal(enc(hugeRow))).toMatch(/row limit/);
    expect(refusal(encodeResumeToken({ kind: 'after-row', row: Buffer.alloc(5000) }, digest))).toMatch(/over the 4096-byte row limit/);
    const badTime = Buffer.from(good);
    badTime.writeBigInt64LE(2n ** 60n, badTime.length - 8);
    expect(refusal(enc(badTime))).toMatch(/outside/);
  });
});
