/**
 * Arrival-order turns for request handlers: one waiting request runs per event-loop iteration, with
 * a poll for I/O in between, so requests are handled in the order their bodies completed.
 *
 * Why: node:http runs a request's handler in the same callback that read it, so a server under load
 * handles each batch of ready sockets in the order epoll returns them. With level-triggered epoll
 * (libuv's mode) a socket returned in one batch is put back on the kernel's ready list at that moment,
 * ahead of sockets that become readable later. A connection whose request arrives just after the
 * server started a batch is then served at the end of the next batch, and, in a closed loop, it is
 * last again each time: that connection waits two batches per request while the others wait one.
 * Handling each request in its own later turn — after the poll phase has read everything already
 * waiting — makes the order first-come first-served, which removes that persistent 2× tail
 * (docs/benchmarks.md measures both).
 * @module
 */

/** A FIFO of waiting handlers; `turn()` resolves when it is the caller's turn to run. */
export class Turns {
  private readonly waiting: Array<() => void> = [];
  private head = 0;
  private scheduled = false;
  // A bound method: setImmediate calls it once per loop iteration while requests are waiting.
  private readonly next = (): void => {
    this.scheduled = false;
    const run = this.waiting[this.head];
    this.waiting[this.head++] = undefined as unknown as () => void;
    if (this.head === this.waiting.length) {
      this.waiting.length = 0;
      this.head = 0;
    } else {
      this.schedule();
    }
    // Its continuation runs in the microtask drain that follows this callback, before the next turn.
    run?.();
  };

  /** Requests waiting for their turn. */
  get length(): number {
    return this.waiting.length - this.head;
  }

  /** Resolve once every request queued earlier has had its turn. */
  turn(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.waiting.push(resolve);
      if (!this.scheduled) this.schedule();
    });
  }

  private schedule(): void {
    this.scheduled = true;
    setImmediate(this.next);
  }
}
