// Many concurrent clients increment one counter under one exclusive lock,
// every write fenced by its sequencer: the count ends exact and no write is
// ever refused — on the embedded backend, and on Redis with two stateless
// lock-server front ends sharing it (clients spread over both).

import { afterEach, describe, expect, it } from 'vitest';
import { type Cluster, startCluster } from './backends.js';
import { FencedCounter } from './fenced-counter.js';

const CLIENTS = 6;
const ROUNDS = 12;

describe('mutual exclusion under a fenced counter', () => {
  let cluster: Cluster | undefined;
  afterEach(async () => {
    await cluster?.close();
    cluster = undefined;
  });

  for (const [backend, frontEnds] of [
    ['embedded', 1],
    ['redis', 2],
  ] as const) {
    it(`${backend} (${frontEnds} front end${frontEnds > 1 ? 's' : ''}): ${CLIENTS} clients × ${ROUNDS} increments lose nothing`, async () => {
      cluster = await startCluster(backend, { frontEnds });
      await cluster.untilGranting();
      const checker = cluster.client();
      const counter = new FencedCounter(async (s) => (await checker.validateSequencer(s)).valid);
      const generations: number[] = [];
      await Promise.all(
        Array.from({ length: CLIENTS }, async (_, i) => {
          const client = cluster!.client(i);
          const session = await client.openSession();
          for (let r = 0; r < ROUNDS; r++) {
            await session.withLock(
              '/test/counter',
              async ({ sequencer }) => {
                const v = counter.read();
                await new Promise((res) => setImmediate(res)); // let others run inside the critical section
                generations.push(sequencer.generation);
                expect(await counter.write(v + 1, sequencer)).toBe(true);
              },
              { waitMs: 60_000, createIfMissing: true },
            );
          }
          await session.close();
        }),
      );
      expect(counter.value).toBe(CLIENTS * ROUNDS);
      expect(counter.refused).toBe(0);
      // Each grant is newer than the one before it.
      for (let i = 1; i < generations.length; i++) expect(generations[i]!).toBeGreaterThan(generations[i - 1]!);
    });
  }
});
