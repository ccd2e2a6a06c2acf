/**
 * Runs async jobs one at a time in submission order; a failed job does not
 * stop later ones (its error goes to its own caller).
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private _busy = 0;

  get busy(): boolean {
    return this._busy > 0;
  }

  run<T>(job: () => Promise<T>): Promise<T> {
    this._busy++;
    const result = this.tail.then(job, job);
    this.tail = result.then(
      () => this._busy--,
      () => this._busy--,
    );
    return result;
  }
}
