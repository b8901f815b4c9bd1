/**
 * Start an ES module as a `worker_threads` worker. The sources run as TypeScript through tsx (no
 * build step), and tsx's loader hooks do not carry over into worker threads: a `.ts` module is
 * therefore imported by a small bootstrap that registers tsx in the worker first.
 * @module
 */
import { Worker } from 'node:worker_threads';

export function startModuleWorker(module: URL): Worker {
  if (!module.pathname.endsWith('.ts')) return new Worker(module);
  const bootstrap = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(module.href)}); })`;
  return new Worker(bootstrap, { eval: true });
}
