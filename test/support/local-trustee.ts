/**
 * A Trustee started through runTrustee (the path of `coco trustee serve`) from kbs-config.toml lines,
 * for e2e tests of config-driven features: on 127.0.0.1 at a free port, plain HTTP, admin calls
 * allowed without a token, state in memory, verbose errors; the test's own lines come after these
 * and may add any other section.
 * @module
 */
import { loadPolicyEngine, parseConfigText, runTrustee, type RunningTrustee, type RunTrusteeDeps } from '../../src/trustee/index.js';

/** `[http_server]`, `[admin]` and `[kbs]` of a local test server. */
export const LOCAL_TEST_CONFIG = ['[http_server]', 'sockets = ["127.0.0.1:0"]', 'insecure_http = true', '[admin]', 'authorization_mode = "InsecureAllowAll"', '[kbs]', 'verbose_errors = true'];
/** The store of most tests: memory. */
export const MEMORY_STORAGE = ['[storage_backend]', 'storage_type = "Memory"'];

/** Parse `LOCAL_TEST_CONFIG` and `lines` (relative paths against `dir`) and run it; `deps` adds to the policy engine and build info. */
export async function runLocalTrustee(lines: readonly string[], dir: string, deps: Partial<RunTrusteeDeps> = {}): Promise<RunningTrustee> {
  const config = parseConfigText([...LOCAL_TEST_CONFIG, ...lines].join('\n'), { cwd: dir, env: {} });
  return runTrustee(config, { policyEngine: await loadPolicyEngine(), build: { version: '0', gitHash: 'x', buildDate: 'x' }, ...deps });
}
