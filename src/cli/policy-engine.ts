/**
 * Placeholder until its issue lands; it says so and exits non-zero.
 * @module
 */
export async function run(_args: string[]): Promise<number> {
  console.error('coco policy: this subcommand is not available yet in this build');
  return 1;
}
