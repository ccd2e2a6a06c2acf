import { describe, expect, it } from 'vitest';
import { toStoreError } from './redis-errors.js';

const replyError = (message: string): Error => Object.assign(new Error(message), { name: 'ReplyError' });

describe('toStoreError', () => {
  it("turns a script's own refusal into that KdiError", () => {
    const e = toStoreError(replyError('KDI ABORTED file /a is at generation 7, not 6; read it again'), 'setContents');
    expect(e).toMatchObject({ code: 'ABORTED', message: 'file /a is at generation 7, not 6; read it again' });
  });

  it('treats Redis that cannot serve now as UNAVAILABLE with nothing applied', () => {
    for (const m of ['LOADING Redis is loading the dataset in memory', "READONLY You can't write against a read only replica.", 'BUSY Redis is busy running a script']) {
      const e = toStoreError(replyError(m), 'acquire');
      expect(e.code).toBe('UNAVAILABLE');
      expect(e.retryable).toBe(true);
      expect(e.message).toContain('nothing was applied');
    }
  });

  it('treats any other reply error as INTERNAL (a script bug), and transport failures as UNAVAILABLE with an unknown outcome', () => {
    expect(toStoreError(replyError('ERR user_script:12: attempt to compare nil with number'), 'acquire').code).toBe('INTERNAL');
    expect(toStoreError(replyError('KDI NO_SUCH_CODE whatever'), 'acquire').code).toBe('INTERNAL');
    for (const m of ['Command timed out', "Stream isn't writeable and enableOfflineQueue options is false", 'Connection is closed.']) {
      const e = toStoreError(new Error(m), 'acquire');
      expect(e.code).toBe('UNAVAILABLE');
      expect(e.message).toContain('outcome is unknown');
      expect(e.cause).toBeInstanceOf(Error);
    }
  });
});
