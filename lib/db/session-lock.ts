/**
 * A FIFO async mutex. PGlite has exactly one backend session, so every user of an
 * embedded database (in-process queries, transactions, cursors and the wire-protocol
 * bridge of `servePglite`) takes this lock for as long as it needs the session.
 */
export class SessionLock {
  #tail: Promise<void> = Promise.resolve();

  /** Waits for the lock and resolves with the function that releases it (idempotent). */
  async acquire(): Promise<() => void> {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const previous = this.#tail;
    this.#tail = previous.then(() => held);
    await previous;
    let released = false;
    return () => {
      if (!released) {
        released = true;
        release();
      }
    };
  }

  /** Runs fn while holding the lock. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await fn();
    } finally {
      release();
    }
  }
}
