/**
 * A small CSV reader (RFC 4180: quoted fields, doubled quotes, CRLF or LF) that turns a dataset
 * into typed rows against a declared column list. Rejects ragged rows and bad numbers.
 * @module
 */

export type ColumnType = 'INTEGER' | 'DOUBLE' | 'VARCHAR';
export interface Column {
  name: string;
  type: ColumnType;
}
export type Row = (string | number)[];

/** Parse CSV text with a header line that must list exactly `columns` (in order). */
export function parseCsv(text: string, columns: readonly Column[], where = 'csv'): Row[] {
  const records = splitRecords(text, where);
  const header = records.shift();
  const expected = columns.map((c) => c.name);
  if (!header || header.join(',') !== expected.join(',')) {
    throw new Error(`${where}: header must be ${expected.join(',')}, got ${header?.join(',') ?? '(empty)'}`);
  }
  return records.map((fields, i) => {
    if (fields.length !== columns.length) throw new Error(`${where}: line ${i + 2} has ${fields.length} fields, expected ${columns.length}`);
    return fields.map((f, j) => typed(f, columns[j]!, `${where}: line ${i + 2} column ${columns[j]!.name}`));
  });
}

/** Write rows as CSV (quoting fields that need it). */
export function toCsv(columns: readonly Column[], rows: readonly Row[]): string {
  const q = (v: string | number) => {
    const s = String(v);
    return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return [columns.map((c) => c.name).join(','), ...rows.map((r) => r.map(q).join(','))].join('\n') + '\n';
}

function typed(f: string, col: Column, where: string): string | number {
  if (col.type === 'VARCHAR') return f;
  const n = Number(f);
  if (f.trim() === '' || !Number.isFinite(n) || (col.type === 'INTEGER' && !Number.isSafeInteger(n))) throw new Error(`${where}: not a ${col.type}: ${JSON.stringify(f)}`);
  return n;
}

function splitRecords(text: string, where: string): string[][] {
  const out: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (ch === '"') quoted = false;
      else field += ch;
      i++;
      continue;
    }
    if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      out.push(row);
      row = [];
      field = '';
    } else field += ch;
    i++;
  }
  if (quoted) throw new Error(`${where}: unterminated quoted field`);
  if (field !== '' || row.length > 0) {
    row.push(field);
    out.push(row);
  }
  return out;
}
