/**
 * `coco policy ...`: engine commands (`eval`, `test`) and Trustee admin commands
 * (`set-resource`, `get-resource`, `set-attestation`, `get-attestation`).
 * @module
 */
export const summary = 'evaluate and test Rego policies; set/get Trustee policies';

const ENGINE = new Set(['eval', 'test']);

export async function run(args: string[]): Promise<number> {
  const [sub] = args;
  if (sub && ENGINE.has(sub)) return (await import('./policy-engine.js')).run(args);
  if (sub && /^(set|get)-/.test(sub)) return (await import('./policy-admin.js')).run(args);
  console.error('usage: coco policy eval|test|set-resource|get-resource|set-attestation|get-attestation ...');
  return 2;
}
