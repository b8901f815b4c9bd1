/**
 * Network address predicates (pure: strings in, booleans out).
 * @module
 */

/**
 * True for a loopback IP address: 127.0.0.0/8, `::1`, and IPv4-mapped loopback (`::ffff:127.x.y.z`);
 * IPv6 brackets are allowed. Host names are not resolved (`localhost` is false here).
 */
export function isLoopbackAddress(addr: string | undefined): boolean {
  if (!addr) return false;
  const bare = addr.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  const v4 = bare.startsWith('::ffff:') ? bare.slice(7) : bare;
  return v4 === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}
