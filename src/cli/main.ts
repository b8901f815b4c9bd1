/**
 * `coco` entry point: dispatches the first word to a command module, loaded lazily so that
 * `coco guest ...` never loads Trustee and vice versa. Each module exports
 * `run(args: string[]): Promise<number>` and returns the process exit code.
 * @module
 */

type CommandModule = { run(args: string[]): Promise<number>; summary: string };

const COMMANDS: Record<string, () => Promise<CommandModule>> = {
  trustee: () => import('./trustee.js'),
  admin: () => import('./admin.js'),
  resource: () => import('./resource.js'),
  policy: () => import('./policy.js'),
  'reference-value': () => import('./reference-value.js'),
  audit: () => import('./audit.js'),
  evidence: () => import('./evidence.js'),
  guest: () => import('./guest.js'),
  data: () => import('./data.js'),
  key: () => import('./key.js'),
  secret: () => import('./secret.js'),
  initdata: () => import('./initdata.js'),
};

/** Exit codes scripts can rely on. */
export const EXIT = { ok: 0, failure: 1, usage: 2, notFound: 3, denied: 4, unavailable: 5 } as const;

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    const lines = ['usage: coco <command> [options]', '', 'commands:'];
    for (const [cmd, load] of Object.entries(COMMANDS)) {
      const mod = await load().catch(() => undefined);
      lines.push(`  ${cmd.padEnd(16)} ${mod?.summary ?? ''}`);
    }
    lines.push('', 'Run `coco <command> --help` for the options of a command.');
    console.log(lines.join('\n'));
    return name ? EXIT.ok : EXIT.usage;
  }
  const load = COMMANDS[name];
  if (!load) {
    console.error(`coco: unknown command ${JSON.stringify(name)}; run \`coco --help\``);
    return EXIT.usage;
  }
  const mod = await load();
  return mod.run(rest);
}
