// The master's sequencer on assignment calls (DESIGN §8, §9): in a cluster
// the calls that move tablets — load, unload, split — must carry the
// sequencer of the master's exclusive lock on /kdi/master in the
// x-kdi-sequencer header (JSON {path, mode, generation}), and the server
// asks the lock service whether that grant still holds. A master that
// lost its lock (a newer one was elected) is refused, so two masters can
// never both move tablets. Without a lock service (tablets loaded with
// their bounds, tests) there is no master and no check.

import type { SequencerChecker } from '@kdi/client-sdk';
import { KdiError, SequencerSchema } from '@kdi/protocol';
import type { FastifyRequest } from 'fastify';

export const SEQUENCER_HEADER = 'x-kdi-sequencer';
export const MASTER_LOCK_PATH = '/kdi/master';

/** A preHandler for assignment routes; a no-op without a checker. */
export function masterSequencerCheck(checker: SequencerChecker | undefined): (request: FastifyRequest) => Promise<void> {
  return async (request) => {
    if (checker === undefined) return;
    const header = request.headers[SEQUENCER_HEADER];
    if (typeof header !== 'string') {
      throw new KdiError(
        'FAILED_PRECONDITION',
        `in a cluster this call needs the master's sequencer: send ${SEQUENCER_HEADER}: {"path":"${MASTER_LOCK_PATH}","mode":"exclusive","generation":N}`,
        {
          details: { field: SEQUENCER_HEADER },
        },
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(header);
    } catch {
      parsed = undefined;
    }
    const sequencer = SequencerSchema.safeParse(parsed);
    if (!sequencer.success || sequencer.data.path !== MASTER_LOCK_PATH || sequencer.data.mode !== 'exclusive') {
      throw new KdiError('INVALID_ARGUMENT', `${SEQUENCER_HEADER} must be the JSON sequencer of the exclusive lock on ${MASTER_LOCK_PATH}`, {
        details: { field: SEQUENCER_HEADER },
      });
    }
    await checker.require(sequencer.data);
  };
}
