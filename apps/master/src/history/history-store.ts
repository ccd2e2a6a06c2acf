// Reads and writes /kdi/master-history (history-file.ts) for one master,
// fenced so that a deposed master cannot overwrite its successor's history.
//
// Fencing: every write is a compare-and-set on the file's generation — the
// one this master read or last wrote. A master that takes over reads the
// file and writes it back at once (its claim: the restored history plus
// its own first events); from then on any write of an older master fails
// (ABORTED: the generation moved), and that master stops writing. The file
// also names its writer's sequencer generation (of the /kdi/master lock,
// which only grows): a master finding a larger one than its own is the
// deposed one and never writes; finding its own after an unanswered write
// knows that write landed.
//
// Promises: write() never overwrites a file whose generation is not the
// one this store last saw, nor one a newer master wrote; it answers
// `conflict` when the file changed under it, leaving what to do (read
// again, merge, retry) to the caller; lock-service failures are thrown as
// KdiError (UNAVAILABLE / DEADLINE_EXCEEDED: the outcome is unknown).

import { contentsBytes, type LockClient } from '@kdi/client-sdk';
import { isKdiError } from '@kdi/protocol';
import { decodeHistory, HISTORY_PATH, type DecodedHistory } from './history-file.js';

export type HistoryRead = { readonly kind: 'absent' } | ({ readonly kind: 'found'; readonly generation: number } & DecodedHistory);

export type HistoryWrite = 'written' | 'conflict';

export class HistoryStore {
  /** The file's generation as this store last read or wrote it; undefined: absent (the next write creates it). */
  #generation: number | undefined;

  constructor(
    private readonly lock: LockClient,
    readonly path: string = HISTORY_PATH,
  ) {}

  /** Reads and decodes the file, and remembers its generation for the next write. */
  async read(signal?: AbortSignal): Promise<HistoryRead> {
    try {
      const file = await this.lock.getFile(this.path, { encoding: 'base64', signal });
      this.#generation = file.generation;
      return { kind: 'found', generation: file.generation, ...decodeHistory(contentsBytes(file)) };
    } catch (e) {
      if (!(isKdiError(e) && e.code === 'NOT_FOUND')) throw e;
      this.#generation = undefined;
      return { kind: 'absent' };
    }
  }

  /** Writes `bytes` if the file is still as this store last saw it. */
  async write(bytes: Uint8Array): Promise<HistoryWrite> {
    try {
      const file =
        this.#generation === undefined
          ? await this.lock.createFile(this.path, { contents: bytes })
          : await this.lock.setContents(this.path, bytes, { ifGeneration: this.#generation });
      this.#generation = file.generation;
      return 'written';
    } catch (e) {
      // ABORTED: the generation moved; ALREADY_EXISTS: someone created it; NOT_FOUND: someone deleted it.
      if (isKdiError(e) && (e.code === 'ABORTED' || e.code === 'ALREADY_EXISTS' || e.code === 'NOT_FOUND')) return 'conflict';
      throw e;
    }
  }
}
