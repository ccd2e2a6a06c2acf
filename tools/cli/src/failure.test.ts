// Each kind of failure gets its exit status and a message that says what
// to do.

import { KdiError } from '@kdi/protocol';
import { describe, expect, it } from 'vitest';
import { UsageError } from './args/usage-error.js';
import { describeFailure } from './failure.js';

const MASTER = 'http://127.0.0.1:7000';

describe('describeFailure', () => {
  it('usage errors: exit 2, pointing at the command help', () => {
    expect(describeFailure(new UsageError('put needs VALUE', 'put'), MASTER)).toEqual({ exit: 2, message: 'kdi: put needs VALUE\nRun `kdi help put` for usage.' });
  });

  it('an unreachable master: exit 3, saying how to start the cluster — also when a deadline reports it as the last failure', () => {
    const refused = new KdiError('UNAVAILABLE', `GET ${MASTER}/v1/master failed: ECONNREFUSED (the request was not sent)`, { details: { cause: 'ECONNREFUSED' } });
    const f = describeFailure(refused, MASTER);
    expect(f.exit).toBe(3);
    expect(f.message).toContain(`cannot reach the KDI master at ${MASTER} (ECONNREFUSED)`);
    expect(f.message).toContain('Is the cluster running? Start it with npm start');
    const late = new KdiError('DEADLINE_EXCEEDED', `master status did not finish within 3000 ms (last failure: UNAVAILABLE: ${refused.message})`, { cause: refused });
    expect(describeFailure(late, MASTER).exit).toBe(3);
  });

  it('an unreachable tablet server: exit 3, without blaming the master', () => {
    const e = new KdiError('UNAVAILABLE', 'POST http://127.0.0.1:7201/v1/tables/web/apply failed: ECONNREFUSED', { details: { cause: 'ECONNREFUSED' } });
    const f = describeFailure(e, MASTER);
    expect(f.exit).toBe(3);
    expect(f.message).toContain('cannot reach a KDI server');
  });

  it("the cluster's errors: exit 1 with the code, 4 for NOT_FOUND", () => {
    expect(describeFailure(new KdiError('ALREADY_EXISTS', 'table web exists', { requestId: 'r-9' }), MASTER)).toEqual({
      exit: 1,
      message: 'kdi: ALREADY_EXISTS: table web exists (request r-9)',
    });
    expect(describeFailure(new KdiError('NOT_FOUND', 'no table web'), MASTER).exit).toBe(4);
    expect(describeFailure(new KdiError('UNAUTHENTICATED', 'no token'), MASTER).message).toContain('--token TOKEN or KDI_TOKEN');
    expect(describeFailure(new KdiError('UNAVAILABLE', 'master is starting'), MASTER)).toMatchObject({ exit: 1, message: expect.stringContaining('temporary') });
  });
});
