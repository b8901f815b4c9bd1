/**
 * The two parties' datasets: column lists and a deterministic synthetic generator (seeded), so
 * the demo and tests produce the same data without shipping any.
 * @module
 */
import type { Column, Row } from './csv.js';

/** Party A (a bank): card transactions. */
export const TRANSACTION_COLUMNS: readonly Column[] = [
  { name: 'customer_id', type: 'INTEGER' },
  { name: 'amount', type: 'DOUBLE' },
  { name: 'merchant_category', type: 'VARCHAR' },
];

/** Party B (a retailer): customer profiles. */
export const CUSTOMER_COLUMNS: readonly Column[] = [
  { name: 'customer_id', type: 'INTEGER' },
  { name: 'region', type: 'VARCHAR' },
  { name: 'segment', type: 'VARCHAR' },
];

const REGIONS = ['north', 'south', 'east', 'west'];
const SEGMENTS = ['retail', 'premium'];
const CATEGORIES = ['grocery', 'travel', 'fuel', 'online', 'dining'];

/** A small seeded PRNG (mulberry32) so datasets are reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `customers` profiles (ids 1..customers) and `transactions` rows over ids 1..1.2×customers (some unmatched). */
export function generateDatasets(customers: number, transactions: number, seed = 42): { transactions: Row[]; customers: Row[] } {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const cust: Row[] = [];
  for (let id = 1; id <= customers; id++) cust.push([id, pick(REGIONS), pick(SEGMENTS)]);
  const tx: Row[] = [];
  for (let i = 0; i < transactions; i++) {
    tx.push([1 + Math.floor(rnd() * customers * 1.2), Math.round(rnd() * 50000) / 100, pick(CATEGORIES)]);
  }
  return { transactions: tx, customers: cust };
}
