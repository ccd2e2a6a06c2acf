import { describe, expect, it } from 'vitest';
import { CallScope } from './call-scope.js';

describe('CallScope', () => {
  it('ends at its deadline with DEADLINE_EXCEEDED: listeners once, a signal made later is already aborted with the same reason', async () => {
    const scope = new CallScope('get from t', { timeoutMs: 20 }, 30_000);
    const heard: unknown[] = [];
    scope.onEnd((r) => heard.push(r));
    const gone = scope.onEnd((r) => heard.push(['unsubscribed', r]));
    gone();
    expect(scope.aborted).toBe(false);
    await new Promise((r) => setTimeout(r, 40));
    expect(scope.aborted).toBe(true);
    expect(scope.reason).toMatchObject({ code: 'DEADLINE_EXCEEDED', message: expect.stringContaining('get from t did not finish within 20 ms') });
    expect(heard).toEqual([scope.reason]);
    expect(scope.signal.aborted).toBe(true);
    expect(scope.signal.reason).toBe(scope.reason);
    expect(() => scope.check()).toThrow(scope.reason as Error);
    scope.dispose();
  });

  it("ends with CANCELLED when the caller's signal aborts, firing a signal made before", async () => {
    const caller = new AbortController();
    const scope = new CallScope('apply to t', { signal: caller.signal }, 30_000);
    const signal = scope.signal;
    const sleeping = scope.sleep(10_000);
    caller.abort();
    expect(scope.reason).toMatchObject({ code: 'CANCELLED' });
    expect(signal.aborted).toBe(true);
    await expect(sleeping).rejects.toBe(scope.reason);
    scope.dispose();
  });

  it('sleeps its time when nothing ends it, and unsubscribes', async () => {
    const scope = new CallScope('x', {}, 30_000);
    await scope.sleep(5);
    expect(scope.aborted).toBe(false);
    scope.dispose();
  });
});
