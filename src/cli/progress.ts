/**
 * A one-line progress bar on stderr, only when stderr is a TTY (never in pipes or CI logs).
 * @module
 */

/** Pass pieces through unchanged while drawing progress against `total` bytes (if known). */
export async function* withProgress(
  pieces: AsyncIterable<Uint8Array>,
  label: string,
  total: number | undefined,
  out: NodeJS.WriteStream = process.stderr,
): AsyncGenerator<Uint8Array> {
  if (!out.isTTY) {
    yield* pieces;
    return;
  }
  const start = performance.now();
  let done = 0;
  let last = 0;
  const draw = (final: boolean) => {
    const secs = (performance.now() - start) / 1000;
    const rate = secs > 0 ? done / secs : 0;
    const pct = total ? Math.min(1, done / total) : undefined;
    const bar = pct === undefined ? '' : `[${'#'.repeat(Math.round(pct * 30)).padEnd(30)}] ${(pct * 100).toFixed(0).padStart(3)}% `;
    out.write(`\r${label} ${bar}${formatBytes(done)}${total ? ` / ${formatBytes(total)}` : ''} ${formatBytes(rate)}/s${final ? '\n' : ''}`);
  };
  for await (const p of pieces) {
    done += p.length;
    const now = performance.now();
    if (now - last > 100) {
      draw(false);
      last = now;
    }
    yield p;
  }
  draw(true);
}

/** `1.5 GiB`-style size. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let u = 0;
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024;
    u++;
  }
  return `${n.toFixed(u === 0 ? 0 : 1)} ${units[u]}`;
}
