// A child process for the crash test: opens the embedded store on the data
// directory in argv[2] and changes it as fast as it can, printing one line
// per acknowledged change — `file <path> <generation>`, `counter <n>
// <generation>` or `grant <generation>` — until it is killed.

import { EmbeddedLockStore } from '../embedded-lock-store.js';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: crash-writer <dataDir>');
const store = await EmbeddedLockStore.open({ dataDir, limits: { minTtlMs: 100, maxTtlMs: 1_000, lockDelayMs: 100 }, revisionReserve: 50 });
while ((await store.status()).safeModeRemainingMs > 0) await new Promise((r) => setTimeout(r, 20));
const session = await store.openSession(1_000);
const path = `/counter-${process.pid}`;
let generation = (await store.createFile(path, new TextEncoder().encode('0'))).value.generation;
for (let i = 1; ; i += 1) {
  await store.keepAlive(session.sessionId);
  const f = await store.createFile(`/files/p${process.pid}-${i}`, new TextEncoder().encode(`contents ${i}`));
  process.stdout.write(`file ${f.value.path} ${f.value.generation}\n`);
  const c = await store.setContents(path, new TextEncoder().encode(String(i)), { ifGeneration: generation });
  generation = c.value.generation;
  process.stdout.write(`counter ${i} ${generation}\n`);
  const g = await store.acquire({ sessionId: session.sessionId, path, mode: 'exclusive', requestId: `r${i}` });
  if (!g.acquired) throw new Error(`no grant: ${JSON.stringify(g)}`);
  process.stdout.write(`grant ${g.sequencer.generation}\n`);
  await store.release(session.sessionId, path);
}
