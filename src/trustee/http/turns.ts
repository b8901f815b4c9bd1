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
 *
 * Two classes: requests the server marks urgent (for Trustee, those that continue a handshake under
 * way: attest and resource GETs) go before the others while both wait. A backlog (after a collection
 * pause or a burst of steal on a small VM) then delays each handshake once, at its first request,
 * instead of once per request: measured at 2,000 handshakes/s on the 2-core machine, the paced p99 was
 * under 25 ms in 8 of 14 runs against 3 of 14 in one FIFO (median 24 against 33 ms). A request that is
 * not urgent waits behind urgent ones for at most `maxPassedOverMs`, then goes first.
 * @module
 */

/** Requests started per loop iteration by default. */
export const TURNS_PER_ITERATION = 4;

/**
 * How long (ms) a request that is not urgent may be passed over by urgent ones: once the oldest has
 * waited this long it goes first, so urgent traffic alone cannot starve the rest.
 */
export const DEFAULT_MAX_PASSED_OVER_MS = 50;

/** A FIFO of resolvers (array and head index; spent slots dropped now and then). */
class Fifo {
  private items: Array<(() => void) | undefined> = [];
  private times: number[] = [];
  private head = 0;
  get length(): number {
    return this.items.length - this.head;
  }
  push(run: () => void, at: number): void {
    this.items.push(run);
    this.times.push(at);
  }
  /** When the oldest waiting entry was queued (only when non-empty). */
  oldest(): number {
    return this.times[this.head]!;
  }
  shift(): () => void {
    const run = this.items[this.head]!;
    this.items[this.head] = undefined;
    this.head++;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.times.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      // Under constant load the queue may never empty: drop the spent slots now and then.
      this.items.splice(0, this.head);
      this.times.splice(0, this.head);
      this.head = 0;
    }
    return run;
  }
}

/**
 * Waiting handlers in two classes; `turn()` resolves when it is the caller's turn to run. Within a
 * class the order is first come, first served; urgent requests go before the others (see `turn`).
 */
export class Turns {
  private readonly urgent = new Fifo();
  private readonly normal = new Fifo();
  private scheduled = false;
  private readonly perIteration: number;
  private readonly maxPassedOverMs: number;
  private readonly now: () => number;
  // A bound method: setImmediate calls it once per loop iteration while requests are waiting.
  private readonly next = (): void => {
    this.scheduled = false;
    const runs: Array<() => void> = [];
    const now = this.now();
    while (runs.length < this.perIteration) {
      const u = this.urgent.length > 0;
      const n = this.normal.length > 0;
      if (!u && !n) break;
      const fromNormal = !u || (n && now - this.normal.oldest() >= this.maxPassedOverMs);
      runs.push((fromNormal ? this.normal : this.urgent).shift());
    }
    // Their continuations run, in order, in the microtask drain that follows this callback.
    for (const run of runs) run();
    if (this.length > 0) this.schedule();
  };

  /**
   * `perIteration`: how many waiting requests start in one loop iteration (≥ 1). `maxPassedOverMs`:
   * how long a request that is not urgent may wait behind urgent ones before it goes first.
   */
  constructor(perIteration = TURNS_PER_ITERATION, maxPassedOverMs = DEFAULT_MAX_PASSED_OVER_MS, now: () => number = performance.now.bind(performance)) {
    if (!Number.isInteger(perIteration) || perIteration < 1) throw new RangeError('perIteration must be a positive integer');
    if (!(maxPassedOverMs >= 0)) throw new RangeError('maxPassedOverMs must be a non-negative number');
    this.perIteration = perIteration;
    this.maxPassedOverMs = maxPassedOverMs;
    this.now = now;
  }

  /** Requests waiting for their turn. */
  get length(): number {
    return this.urgent.length + this.normal.length;
  }

  /**
   * Resolve once it is this request's turn: after every request of its class queued earlier, and,
   * for a request that is not `urgent`, after the urgent ones waiting too — unless it has already
   * waited `maxPassedOverMs`.
   */
  turn(urgent = false): Promise<void> {
    return new Promise<void>((resolve) => {
      (urgent ? this.urgent : this.normal).push(resolve, this.now());
      if (!this.scheduled) this.schedule();
    });
  }

  private schedule(): void {
    this.scheduled = true;
    setImmediate(this.next);
  }
}
