/**
 * Conformance cases from regorus' corpus that test regorus-only extensions, not Rego. Each entry
 * is a path prefix under `rego/interpreter/` (a file, or `file::note` for one case) and the reason.
 * These cases are excluded from the pass rate; everything else counts.
 */
export const NOT_APPLICABLE: ReadonlyArray<{ match: string; reason: string }> = [
  {
    match: 'target/',
    reason:
      'regorus "target" extension: `__target__` declarations, Azure Policy resource schemas, effect rules and resource-type inference; not part of Rego or OPA',
  },
  {
    match: 'rego-extensions/',
    reason: 'regorus-only `or` syntax extension; not Rego',
  },
  {
    match: 'limits/execution_timer.yaml',
    reason:
      'drives regorus\' engine/global execution-timer configuration with a fake `time_source` tick; our wall-time limit is `limits.timeoutMs` with an injected clock, tested in src/rego/engine.test.ts',
  },
];

export function notApplicable(file: string, note: string): string | undefined {
  const key = `${file}::${note}`;
  return NOT_APPLICABLE.find((e) => key.startsWith(e.match))?.reason;
}
