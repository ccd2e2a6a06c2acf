import { describe, expect, it } from 'vitest';
import { CallCoalescer, ItemFailure, type GroupRunner } from './call-coalescer.js';
import { cancellationOf } from './call-scope.js';

/** A runner that records each group it is given and answers item × 10 (or what `answer` says). */
function recorder(answer: (items: readonly number[]) => ReadonlyArray<number | ItemFailure> = (items) => items.map((i) => i * 10)) {
  const groups: number[][] = [];
  const signals: AbortSignal[] = [];
  const run: GroupRunner<number, number> = async (items, signal) => {
    groups.push([...items]);
    signals.push(signal);
    await new Promise((r) => setTimeout(r, 5));
    return answer(items);
  };
  return { groups, signals, run };
}

const live = () => cancellationOf(new AbortController().signal);

describe('CallCoalescer', () => {
  it('sends the calls of one turn with one key as one group, each getting its own result', async () => {
    const c = new CallCoalescer<number, number>({ maxItems: 100, maxWeight: 1000, pipeline: 1 });
    const r = recorder();
    const results = await Promise.all([1, 2, 3].map((i) => c.call('k', i, 1, live(), r.run)));
    expect(results).toEqual([10, 20, 30]);
    expect(r.groups).toEqual([[1, 2, 3]]);
  });

  it('keeps keys apart and sends a later turn as another group', async () => {
    const c = new CallCoalescer<number, number>({ maxItems: 100, maxWeight: 1000, pipeline: 1 });
    const r = recorder();
    await Promise.all([c.call('a', 1, 1, live(), r.run), c.call('b', 2, 1, live(), r.run), c.call('a', 3, 1, live(), r.run)]);
    await c.call('a', 4, 1, live(), r.run);
    expect(r.groups).toEqual([[1, 3], [2], [4]]);
  });

  it('opens another group past maxItems or maxWeight; an item heavier than the bound goes alone', async () => {
    const c = new CallCoalescer<number, number>({ maxItems: 2, maxWeight: 10, pipeline: 1 });
    const r = recorder();
    await Promise.all([
      c.call('k', 1, 1, live(), r.run),
      c.call('k', 2, 1, live(), r.run),
      c.call('k', 3, 1, live(), r.run), // maxItems: a new group
      c.call('k', 4, 9, live(), r.run), // 1 + 9 ≤ 10: joins 3
      c.call('k', 5, 50, live(), r.run), // heavier than the bound: alone
      c.call('k', 6, 1, live(), r.run),
    ]);
    expect(r.groups).toEqual([[1, 2], [3, 4], [5], [6]]);
  });

  it('fails one item with ItemFailure and the others not; a runner that throws fails all', async () => {
    const c = new CallCoalescer<number, number>({ maxItems: 100, maxWeight: 1000, pipeline: 1 });
    const some = recorder((items) => items.map((i) => (i === 2 ? new ItemFailure(new Error('bad 2')) : i)));
    const settled = await Promise.allSettled([1, 2, 3].map((i) => c.call('k', i, 1, live(), some.run)));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason).toMatchObject({ message: 'bad 2' });

    const all: GroupRunner<number, number> = () => Promise.reject(new Error('down'));
    const failed = await Promise.allSettled([1, 2].map((i) => c.call('k', i, 1, live(), all)));
    expect(failed.map((s) => s.status)).toEqual(['rejected', 'rejected']);
  });

  it('leaves out a call aborted before its group is sent, and rejects it with the reason', async () => {
    const c = new CallCoalescer<number, number>({ maxItems: 100, maxWeight: 1000, pipeline: 1 });
    const r = recorder();
    const ac = new AbortController();
    const gone = c.call('k', 1, 1, cancellationOf(ac.signal), r.run);
    const kept = c.call('k', 2, 1, live(), r.run);
    ac.abort(new Error('caller gave up'));
    await expect(gone).rejects.toThrow('caller gave up');
    expect(await kept).toBe(20);
    expect(r.groups).toEqual([[2]]);
    await expect(c.call('k', 3, 1, cancellationOf(ac.signal), r.run)).rejects.toThrow('caller gave up');
  });

  it('rejects a call aborted in flight at once; the group request is aborted only when every member was', async () => {
    const c = new CallCoalescer<number, number>({ maxItems: 100, maxWeight: 1000, pipeline: 1 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let groupSignal: AbortSignal | undefined;
    const run: GroupRunner<number, number> = async (items, signal) => {
      groupSignal = signal;
      await gate;
      return items.map((i) => i);
    };
    const a = new AbortController();
    const b = new AbortController();
    const pa = c.call('k', 1, 1, cancellationOf(a.signal), run);
    const pb = c.call('k', 2, 1, cancellationOf(b.signal), run);
    await new Promise((r) => setImmediate(r));
    expect(groupSignal?.aborted).toBe(false);
    a.abort(new Error('a gave up'));
    await expect(pa).rejects.toThrow('a gave up');
    expect(groupSignal?.aborted).toBe(false);
    b.abort(new Error('b gave up'));
    expect(groupSignal?.aborted).toBe(true);
    await expect(pb).rejects.toThrow('b gave up');
    release();
  });

  it('pipelines: splits a burst while fewer than `pipeline` requests of its key are in flight', async () => {
    const c = new CallCoalescer<number, number>({ maxItems: 100, maxWeight: 1000, pipeline: 2 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const groups: number[][] = [];
    const run: GroupRunner<number, number> = async (items) => {
      groups.push([...items]);
      await gate;
      return items.map((i) => i);
    };
    const first = [1, 2, 3, 4, 5].map((i) => c.call('k', i, 1, live(), run));
    await new Promise((r) => setImmediate(r));
    expect(groups).toEqual([
      [1, 2],
      [3, 4, 5],
    ]);
    // Two in flight: the next burst goes as one request.
    const second = [6, 7, 8].map((i) => c.call('k', i, 1, live(), run));
    await new Promise((r) => setImmediate(r));
    expect(groups.slice(2)).toEqual([[6, 7, 8]]);
    release();
    expect(await Promise.all([...first, ...second])).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // None in flight again: a burst of two goes as two.
    await Promise.all([9, 10].map((i) => c.call('k', i, 1, live(), run)));
    expect(groups.slice(3)).toEqual([[9], [10]]);
  });

  it('gives a lone call its own signal', async () => {
    const c = new CallCoalescer<number, number>({ maxItems: 100, maxWeight: 1000, pipeline: 1 });
    const r = recorder();
    const own = live();
    await c.call('k', 1, 1, own, r.run);
    expect(r.signals[0]).toBe(own.signal);
  });
});
