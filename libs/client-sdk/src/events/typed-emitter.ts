// A small typed event emitter. Not node:events because that one treats an
// 'error' event specially and lets a throwing listener unwind into the
// emitter: here a listener's exception must never stop the keep-alive loop
// that emitted it, so it is re-thrown on a fresh task (where it surfaces
// as an uncaught exception, as loudly as a bug should).

export type Listener<T> = (payload: T) => void;

/** `E` maps each event name to its payload type. */
export class TypedEmitter<E extends object> {
  readonly #listeners = new Map<keyof E, Set<Listener<never>>>();

  on<K extends keyof E>(event: K, listener: Listener<E[K]>): this {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener as Listener<never>);
    return this;
  }

  off<K extends keyof E>(event: K, listener: Listener<E[K]>): this {
    this.#listeners.get(event)?.delete(listener as Listener<never>);
    return this;
  }

  once<K extends keyof E>(event: K, listener: Listener<E[K]>): this {
    const wrapper: Listener<E[K]> = (payload) => {
      this.off(event, wrapper);
      listener(payload);
    };
    return this.on(event, wrapper);
  }

  listenerCount(event: keyof E): number {
    return this.#listeners.get(event)?.size ?? 0;
  }

  protected emit<K extends keyof E>(event: K, payload: E[K]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as Listener<E[K]>)(payload);
      } catch (e) {
        setImmediate(() => {
          throw e;
        });
      }
    }
  }
}
