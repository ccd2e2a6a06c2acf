import { KdiError } from '@kdi/protocol';
import { describe, expect, it } from 'vitest';
import { backoffMs, hasLocationHint, isRoutingRetry, notSent, retryUntilDeadline } from './backoff.js';
import { CallScope } from './call-scope.js';

const policy = { initialMs: 10, maxMs: 100 };

describe('backoff', () => {
  it('draws from [0, min(max, initial * 2^attempt)] and honours retryAfterMs', () => {
    expect(backoffMs(0, policy, () => 0.999)).toBe(9);
    expect(backoffMs(3, policy, () => 0.5)).toBe(40);
    expect(backoffMs(10, policy, () => 0.999)).toBe(99);
    expect(backoffMs(10, policy, () => 0)).toBe(0);
    expect(backoffMs(0, policy, () => 0, 250)).toBe(250);
  });

  it('retries routing failures only; a refused connection is the one sure "not sent"', () => {
    expect(isRoutingRetry(new KdiError('WRONG_TABLET', 'x'))).toBe(true);
    expect(isRoutingRetry(new KdiError('UNAVAILABLE', 'x'))).toBe(true);
    expect(isRoutingRetry(new KdiError('RESOURCE_EXHAUSTED', 'x'))).toBe(true);
    expect(isRoutingRetry(new KdiError('ABORTED', 'x'))).toBe(false);
    expect(isRoutingRetry(new KdiError('INVALID_ARGUMENT', 'x'))).toBe(false);
    expect(notSent(new KdiError('UNAVAILABLE', 'x', { details: { cause: 'ECONNREFUSED' } }))).toBe(true);
    expect(notSent(new KdiError('UNAVAILABLE', 'x', { details: { cause: 'ECONNRESET' } }))).toBe(false);
  });

  it('recognizes a WRONG_TABLET whose details carry a location hint', () => {
    const hint = { serverId: 'ts-2', url: 'http://127.0.0.1:7202', epoch: 4, state: 'serving' };
    expect(hasLocationHint(new KdiError('WRONG_TABLET', 'moved', { details: { row: 'a', locationHint: hint } }))).toBe(true);
    expect(hasLocationHint(new KdiError('WRONG_TABLET', 'moved', { details: { row: 'a' } }))).toBe(false);
    expect(hasLocationHint(new KdiError('WRONG_TABLET', 'moved', { details: { locationHint: { url: 1 } } }))).toBe(false);
    expect(hasLocationHint(new KdiError('UNAVAILABLE', 'x', { details: { locationHint: hint } }))).toBe(false);
  });

  it('repeats until success, and stops at once on an error it must not retry', async () => {
    const scope = new CallScope('test', {}, 10_000);
    try {
      let n = 0;
      const got = await retryUntilDeadline(scope, { initialMs: 1, maxMs: 2 }, async () => {
        if (++n < 4) throw new KdiError('WRONG_TABLET', 'moved');
        return n;
      });
      expect(got).toBe(4);
      let calls = 0;
      await expect(
        retryUntilDeadline(scope, policy, async () => {
          calls++;
          throw new KdiError('ABORTED', 'conflict');
        }),
      ).rejects.toMatchObject({ code: 'ABORTED' });
      expect(calls).toBe(1);
    } finally {
      scope.dispose();
    }
  });

  it('ends with DEADLINE_EXCEEDED naming the last failure, or CANCELLED when the caller aborts', async () => {
    const deadline = new CallScope('a call', { timeoutMs: 50 }, 10_000);
    const e = await retryUntilDeadline(deadline, policy, async () => {
      throw new KdiError('UNAVAILABLE', 'refused');
    }).catch((x: unknown) => x);
    deadline.dispose();
    expect(e).toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    expect((e as Error).message).toContain('UNAVAILABLE: refused');

    const controller = new AbortController();
    const cancelled = new CallScope('a call', { signal: controller.signal }, 10_000);
    setTimeout(() => controller.abort(), 20);
    await expect(
      retryUntilDeadline(cancelled, policy, async () => {
        throw new KdiError('UNAVAILABLE', 'refused');
      }),
    ).rejects.toMatchObject({ code: 'CANCELLED' });
    cancelled.dispose();
    expect(() => new CallScope('x', { signal: AbortSignal.abort() }, 1000).check()).toThrow(expect.objectContaining({ code: 'CANCELLED' }));
  });
});
