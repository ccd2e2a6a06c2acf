// A resource guarded by fencing (Chubby's sequencers, Kleppmann's fencing
// tokens): it accepts a write only with a sequencer the lock service still
// vouches for and that is not older than any it accepted before. With real
// mutual exclusion nothing is ever refused and no increment is lost.

import type { Sequencer } from '@kdi/protocol';

export class FencedCounter {
  value = 0;
  refused = 0;
  accepted = 0;
  private highest = 0;

  constructor(private readonly validate: (s: Sequencer) => Promise<boolean>) {}

  read(): number {
    return this.value;
  }

  async write(value: number, s: Sequencer): Promise<boolean> {
    if (s.generation < this.highest || !(await this.validate(s)) || s.generation < this.highest) {
      this.refused++;
      return false;
    }
    this.highest = s.generation;
    this.value = value;
    this.accepted++;
    return true;
  }
}
