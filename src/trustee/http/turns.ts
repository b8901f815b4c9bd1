/**
 * Arrival-order turns for request handlers: a few waiting requests start per event-loop iteration,
 * with a poll for I/O in between, so requests are handled in the order their bodies completed.
 *
 * Why: node:http runs a request's handler in the same callback that read it, so a server under load
 * handles each batch of ready sockets in the order epoll returns them. With level-triggered epoll
 * (libuv's mode) a socket returned in one batch is put back on the kernel's ready list at that moment,
 * ahead of sockets that become readable later. A connection whose request arrives just after the
 * server started a batch is then served at the end of the next batch, and, in a closed loop, it is
 * last again each time: that connection waits two batches per request while the others wait one.
 * Queuing requests and starting a few of them per loop iteration — after the poll phase has read
 * everything already waiting — makes the order first-come first-served to within those few, which
 * removes that persistent 2× tail (docs/benchmarks.md measures both).
 *
 * A few per iteration rather than one: each iteration costs an `epoll_wait`, and writes issued in
 * one iteration share one group commit in the SQLite store.
 * @module
 */

/** Requests started per loop iteration by default. */
export const TURNS_PER_ITERATION = 4;

/** A FIFO of waiting handlers; `turn()` resolves when it is the caller's turn to run. */
export class Turns {
  private readonly waiting: Array<(() => void) | undefined> = [];
  private head = 0;
  private scheduled = false;
  private readonly perIteration: number;
  // A bound method: setImmediate calls it once per loop iteration while requests are waiting.
  private readonly next = (): void => {
    this.scheduled = false;
    const end = Math.min(this.waiting.length, this.head + this.perIteration);
    const start = this.head;
    this.head = end;
    // Their continuations run, in order, in the microtask drain that follows this callback.
    for (let i = start; i < end; i++) {
      const run = this.waiting[i]!;
      this.waiting[i] = undefined;
      run();
    }
    if (this.head === this.waiting.length) {
      this.waiting.length = 0;
      this.head = 0;
      return;
    }
    // Under constant load the queue may never empty: drop the spent slots now and then.
    if (this.head >= 1024 && this.head * 2 >= this.waiting.length) {
      this.waiting.splice(0, this.head);
      this.head = 0;
    }
    this.schedule();
  };

  /** `perIteration`: how many waiting requests start in one loop iteration (≥ 1). */
  constructor(perIteration = TURNS_PER_ITERATION) {
    if (!Number.isInteger(perIteration) || perIteration < 1) throw new RangeError('perIteration must be a positive integer');
    this.perIteration = perIteration;
  }

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
