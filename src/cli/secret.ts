/**
 * `coco secret` — placeholder until its issue lands; it says so and exits non-zero.
 * @module
 */
export const summary = '(not available yet)';

export async function run(_args: string[]): Promise<number> {
  console.error('coco secret: not available yet in this build');
  return 1;
}
