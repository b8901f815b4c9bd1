/**
 * `coco guest model-fetch`: the KServe storage initializer for encrypted models. Accepts the
 * KServe contract (`model-fetch <storageUri> <modelDir>`) and explicit options.
 * @module
 */
import { parseArgs } from 'node:util';
import { VerificationFailed, isCocoError } from '../core/index.js';
import { fetchModel, resourceGetterFromApi, type ResourceGetter } from '../guest/index.js';

const USAGE = `usage:
  coco guest model-fetch <storageUri> <modelDir>                       (KServe storage-initializer form)
  coco guest model-fetch --from URL|PATH --to DIR [--key kbs:///repo/type/tag] [--sha256 HEX]
                         [--name FILE] [--api http://127.0.0.1:8006]
The key defaults to the key id in the encrypted file's header; it is fetched through the in-guest
REST API (--api, or COCO_GUEST_API). Nothing is left in DIR unless the whole model verified.`;

const OPTIONS = {
  from: { type: 'string' },
  to: { type: 'string' },
  key: { type: 'string' },
  sha256: { type: 'string' },
  name: { type: 'string' },
  api: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `getResource` lets an in-process caller (the demo, tests) supply the guest KBS client instead of the REST API. */
export async function run(args: string[], deps: { getResource?: ResourceGetter; fetchImpl?: typeof fetch } = {}): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: true });
  } catch (err) {
    console.error(`coco guest model-fetch: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values: v, positionals } = parsed;
  const from = v.from ?? positionals[0];
  const to = v.to ?? positionals[1];
  if (v.help || !from || !to || positionals.length > 2) {
    console.error(USAGE);
    return v.help ? 0 : 2;
  }
  const api = v.api ?? process.env.COCO_GUEST_API ?? 'http://127.0.0.1:8006';
  try {
    const r = await fetchModel({
      source: from,
      destDir: to,
      keyUri: v.key,
      expectedSha256: v.sha256,
      fileName: v.name,
      getResource: deps.getResource ?? resourceGetterFromApi(api, deps.fetchImpl),
      fetchImpl: deps.fetchImpl,
      log: (l) => console.error(l),
    });
    console.log(JSON.stringify({ path: r.path, bytes: r.bytes, sha256: r.sha256, key: r.keyUri }));
    return 0;
  } catch (err) {
    if (!isCocoError(err) && !(err as NodeJS.ErrnoException).code) throw err;
    const check = err instanceof VerificationFailed ? ` [${err.check}]` : '';
    console.error(`coco guest model-fetch: failed closed: ${(err as Error).message}${check}`);
    return 1;
  }
}
