/**
 * The clean room: loads each party's decrypted rows into an in-memory DuckDB that may not touch
 * the file system or network (`enable_external_access = false`), runs one aggregate query and
 * releases only groups with at least `minGroupSize` distinct customers (k-anonymity threshold).
 * @module
 */
import { DuckDBInstance, type DuckDBAppender } from '@duckdb/node-api';
import type { Column, Row } from './csv.js';

export interface Dataset {
  /** Table name inside the clean room, e.g. `transactions`. */
  table: string;
  columns: readonly Column[];
  rows: readonly Row[];
}

export interface AggregateRow {
  region: string;
  segment: string;
  customers: number;
  transactions: number;
  total_amount: number;
  avg_amount: number;
}

/** Party A's transactions joined to party B's customers, by region and segment. */
export const JOIN_QUERY = `
  SELECT c.region, c.segment,
         count(DISTINCT t.customer_id)::INTEGER AS customers,
         count(*)::INTEGER AS transactions,
         round(sum(t.amount), 2) AS total_amount,
         round(avg(t.amount), 2) AS avg_amount
  FROM transactions t JOIN customers c USING (customer_id)
  GROUP BY c.region, c.segment
  HAVING count(DISTINCT t.customer_id) >= $min_group
  ORDER BY c.region, c.segment`;

/** Run the join inside a fresh in-memory DuckDB and return only the released aggregate rows. */
export async function runCleanRoom(datasets: readonly Dataset[], minGroupSize = 5): Promise<AggregateRow[]> {
  const db = await DuckDBInstance.create(':memory:', { enable_external_access: 'false', threads: '2' });
  const conn = await db.connect();
  try {
    for (const ds of datasets) {
      if (!/^[a-z_][a-z0-9_]*$/.test(ds.table)) throw new Error(`bad table name ${ds.table}`);
      await conn.run(`CREATE TABLE ${ds.table} (${ds.columns.map((c) => `${c.name} ${c.type}`).join(', ')})`);
      const app = await conn.createAppender(ds.table);
      for (const row of ds.rows) appendRow(app, ds.columns, row);
      app.closeSync();
    }
    const reader = await conn.runAndReadAll(JOIN_QUERY, { min_group: minGroupSize });
    return reader.getRowObjectsJS() as unknown as AggregateRow[];
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

function appendRow(app: DuckDBAppender, columns: readonly Column[], row: Row): void {
  columns.forEach((c, i) => {
    const v = row[i]!;
    if (c.type === 'INTEGER') app.appendInteger(v as number);
    else if (c.type === 'DOUBLE') app.appendDouble(v as number);
    else app.appendVarchar(String(v));
  });
  app.endRow();
}
