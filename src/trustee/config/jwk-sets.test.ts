import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { ConfigError } from '../../core/index.js';
import { discoveryUrlOf, loadTrustedJwkSets, parseJwkSet, readLocalJwkSets, JwkSetRefresher, JWK_SETS_KEY, type TrustedJwk } from './jwk-sets.js';
import { REPO_ROOT } from '../../../test/support/fixtures.js';
import { answer, startHttpsRoutes, type HttpsRoutes } from '../../../test/support/https-routes.js';
import { requireTools } from '../../../test/support/system-tools.js';
import { makeTestCa, type TestCa } from '../../../test/support/test-ca.js';

const SKIP = requireTools('openssl');
const dir = mkdtempSync(join(tmpdir(), 'coco-jwks-'));
const KEY_A = { kty: 'EC', crv: 'P-256', x: 'xa', y: 'ya', alg: 'ES256', kid: 'a' };
const KEY_B = { kty: 'EC', crv: 'P-256', x: 'xb', y: 'yb', alg: 'ES256', kid: 'b' };

/** A ConfigError on the trusted_jwk_sets key whose message matches every pattern. */
const configError =
  (...patterns: RegExp[]) =>
  (e: unknown): boolean => {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    assert.equal(e.key, JWK_SETS_KEY);
    assert.ok(e.message.startsWith(`${JWK_SETS_KEY}: `), e.message);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  };

let ca: TestCa;
let srv: HttpsRoutes;
let opts: { extraCaPem: string };

before(async () => {
  if (SKIP) return;
  ca = makeTestCa();
  srv = await startHttpsRoutes(ca);
  opts = { extraCaPem: ca.caPem };
});
after(async () => {
  await srv?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('parseJwkSet', () => {
  test('returns the keys that carry a string kid and skips the others', () => {
    assert.deepEqual(parseJwkSet({ keys: [KEY_A, { kty: 'EC' }, { ...KEY_B, kid: 7 }, KEY_B] }, 'src'), [KEY_A, KEY_B]);
  });

  test('refuses a document that is not a set, an entry that is not an object, and a set without any kid', () => {
    for (const bad of [null, [], 'x', 3, {}, { keys: {} }, { keys: 'a' }]) assert.throws(() => parseJwkSet(bad, 'src'), configError(/src is not a JWK set/));
    assert.throws(() => parseJwkSet({ keys: [KEY_A, null] }, 'src'), configError(/keys\[1\] is not an object/));
    assert.throws(() => parseJwkSet({ keys: [KEY_A, [1]] }, 'src'), configError(/keys\[1\] is not an object/));
    assert.throws(() => parseJwkSet({ keys: [] }, 'src'), configError(/src has no key with a "kid"/));
    assert.throws(() => parseJwkSet({ keys: [{ kty: 'EC' }] }, 'src'), configError(/no key with a "kid"/));
  });

  test('for any JSON value either returns only keys with a string kid or throws ConfigError', () => {
    const jwk = fc.record({ kid: fc.oneof(fc.string(), fc.integer(), fc.constant(undefined)), kty: fc.string() }, { requiredKeys: [] });
    const doc = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.record({ keys: fc.array(fc.oneof(jwk, fc.jsonValue({ maxDepth: 1 })), { maxLength: 5 }) }));
    fc.assert(
      fc.property(doc, (value) => {
        try {
          const keys = parseJwkSet(value, 'src');
          assert.ok(keys.length > 0);
          for (const k of keys) assert.equal(typeof k.kid, 'string');
        } catch (e) {
          assert.ok(e instanceof ConfigError, String(e));
        }
      }),
    );
  });
});

describe('discoveryUrlOf', () => {
  test('appends the well-known path to the issuer path, dropping a trailing slash, query and fragment', () => {
    assert.equal(discoveryUrlOf('https://idp.example'), 'https://idp.example/.well-known/openid-configuration');
    assert.equal(discoveryUrlOf('https://idp.example/realms/kbs/?x=1#f'), 'https://idp.example/realms/kbs/.well-known/openid-configuration');
  });
});

describe('readLocalJwkSets', () => {
  test('reads a plain path and a file:// URL in configuration order', () => {
    const a = join(dir, 'a.json');
    const b = join(dir, 'b set.json');
    writeFileSync(a, JSON.stringify({ keys: [KEY_A] }));
    writeFileSync(b, JSON.stringify({ keys: [KEY_B] }));
    assert.deepEqual(readLocalJwkSets([pathToFileURL(b).href, a]), [KEY_B, KEY_A]);
  });

  test('refuses a missing file, a file that is not JSON, and an https entry it cannot fetch', () => {
    assert.throws(() => readLocalJwkSets([join(dir, 'nope.json')]), configError(/cannot read .*nope\.json/));
    writeFileSync(join(dir, 'junk.json'), '{"keys": [');
    assert.throws(() => readLocalJwkSets([join(dir, 'junk.json')]), configError(/junk\.json is not JSON/));
    assert.throws(() => readLocalJwkSets(['https://idp.example/jwks']), configError(/https:\/\/idp\.example\/jwks .*loadTrustedJwkSets/));
  });
});

describe('loadTrustedJwkSets', { skip: SKIP }, () => {
  test('loads a JWK set served directly at an https URL, asking for JSON', async () => {
    srv.route('/direct/jwks', answer(200, { keys: [KEY_A] }));
    assert.deepEqual(await loadTrustedJwkSets([`${srv.origin}/direct/jwks`], opts), [KEY_A]);
    assert.equal(srv.lastHeaders('/direct/jwks')?.accept, 'application/json');
    assert.equal(srv.hits('/direct/jwks/.well-known/openid-configuration'), 0);
  });

  test('follows the OpenID discovery document to its jwks_uri when the URL is not a JWK set', async () => {
    srv.route('/idp', answer(200, '<html>sign in</html>'));
    srv.route('/idp/.well-known/openid-configuration', answer(200, { issuer: `${srv.origin}/idp`, jwks_uri: `${srv.origin}/idp/certs` }));
    srv.route('/idp/certs', answer(200, { keys: [KEY_B, { kty: 'RSA', use: 'enc' }] }));
    assert.deepEqual(await loadTrustedJwkSets([`${srv.origin}/idp`], opts), [KEY_B]);
  });

  test('concatenates files and remote sets in configuration order', async () => {
    srv.route('/order/jwks', answer(200, { keys: [KEY_B] }));
    const a = join(dir, 'order-a.json');
    writeFileSync(a, JSON.stringify({ keys: [KEY_A] }));
    assert.deepEqual(await loadTrustedJwkSets([`${srv.origin}/order/jwks`, a], opts), [KEY_B, KEY_A]);
  });

  test('refuses http:// and other schemes naming the key, without any request', async () => {
    await assert.rejects(loadTrustedJwkSets([`http://127.0.0.1:1/jwks`]), configError(/http:\/\/127\.0\.0\.1:1\/jwks: plain http:\/\/ is refused/));
    await assert.rejects(loadTrustedJwkSets(['ftp://idp.example/jwks']), configError(/ftp:\/\/idp\.example\/jwks: unsupported scheme/));
    await assert.rejects(loadTrustedJwkSets(['https://']), configError(/https:\/\/ is not a valid URL/));
  });

  test('reports HTTP 404 from both the URL and its discovery document', async () => {
    await assert.rejects(
      loadTrustedJwkSets([`${srv.origin}/missing`], opts),
      configError(/\/missing is not a JWK set \(HTTP 404\)/, /\/missing\/\.well-known\/openid-configuration answered HTTP 404/),
    );
    assert.equal(srv.hits('/missing/.well-known/openid-configuration'), 1);
  });

  test('reports a body that is not JSON and JSON without a keys array', async () => {
    srv.route('/text', answer(200, 'hello'));
    await assert.rejects(loadTrustedJwkSets([`${srv.origin}/text`], opts), configError(/\/text is not a JWK set \(not JSON\)/, /HTTP 404/));
    srv.route('/nokeys', answer(200, { issuer: 'x' }));
    await assert.rejects(loadTrustedJwkSets([`${srv.origin}/nokeys`], opts), configError(/\/nokeys is not a JWK set \(no "keys" array\)/));
    srv.route('/emptykeys', answer(200, { keys: [] }));
    await assert.rejects(loadTrustedJwkSets([`${srv.origin}/emptykeys`], opts), configError(/\/emptykeys has no key with a "kid"/));
  });

  test('refuses a discovery document without jwks_uri, with a jwks_uri that is not https, or one that is not JSON', async () => {
    srv.route('/d1/.well-known/openid-configuration', answer(200, { issuer: 'x' }));
    await assert.rejects(loadTrustedJwkSets([`${srv.origin}/d1`], opts), configError(/\/d1\/\.well-known\/openid-configuration has no "jwks_uri"/));
    srv.route('/d2/.well-known/openid-configuration', answer(200, { jwks_uri: 'http://127.0.0.1:1/certs' }));
    await assert.rejects(loadTrustedJwkSets([`${srv.origin}/d2`], opts), configError(/jwks_uri http:\/\/127\.0\.0\.1:1\/certs is not https/));
    srv.route('/d3/.well-known/openid-configuration', answer(200, 'nope'));
    await assert.rejects(loadTrustedJwkSets([`${srv.origin}/d3`], opts), configError(/\/d3\/\.well-known\/openid-configuration is not a JSON object/));
    srv.route('/d4/.well-known/openid-configuration', answer(200, { jwks_uri: `${srv.origin}/d4/certs` }));
    await assert.rejects(loadTrustedJwkSets([`${srv.origin}/d4`], opts), configError(/\/d4\/certs \(jwks_uri of .*\) is not a JWK set \(HTTP 404\)/));
  });

  test('refuses a body over the size limit, declared or streamed', async () => {
    const big = JSON.stringify({ keys: [KEY_A], pad: 'x'.repeat(1024 * 1024) });
    srv.route('/big/declared', answer(200, JSON.parse(big)));
    await assert.rejects(loadTrustedJwkSets([`${srv.origin}/big/declared`], opts), configError(/\/big\/declared: response of \d+ bytes is over the 1048576-byte limit/));
    srv.route('/big/streamed', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }); // chunked: no content-length
      for (let i = 0; i < 20; i++) res.write('x'.repeat(64 * 1024));
      res.end();
    });
    await assert.rejects(loadTrustedJwkSets([`${srv.origin}/big/streamed`], opts), configError(/\/big\/streamed: response is over the 1048576-byte limit/));
    srv.route('/small', answer(200, { keys: [KEY_A] }));
    await assert.rejects(loadTrustedJwkSets([`${srv.origin}/small`], { ...opts, maxBytes: 16 }), configError(/over the 16-byte limit/));
  });

  test('refuses a server whose certificate chains to a CA it was not given', async () => {
    srv.route('/trust/jwks', answer(200, { keys: [KEY_A] }));
    await assert.rejects(loadTrustedJwkSets([`${srv.origin}/trust/jwks`]), configError(/\/trust\/jwks: TLS handshake failed \(.*certificate/i));
    const other = makeTestCa();
    await assert.rejects(loadTrustedJwkSets([`${srv.origin}/trust/jwks`], { extraCaPem: other.caPem }), configError(/TLS handshake failed \(.*certificate/i));
    assert.equal(srv.hits('/trust/jwks'), 0);
  });

  test('trusts a CA from NODE_EXTRA_CA_CERTS when no extra CA is passed (Node default roots are kept)', async () => {
    srv.route('/env/jwks', answer(200, { keys: [KEY_A] }));
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, ca.caPem);
    const script = `import { loadTrustedJwkSets } from ${JSON.stringify(join(REPO_ROOT, 'src/trustee/config/jwk-sets.ts'))};
      const keys = await loadTrustedJwkSets([${JSON.stringify(`${srv.origin}/env/jwks`)}]);
      process.stdout.write(keys.map((k) => k.kid).join(','));`;
    // Asynchronously: this process's server must keep answering while the child runs.
    const child = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: REPO_ROOT,
      env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile },
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(child.stdout, 'a');
  });

  test('gives up on a server that never answers once the timeout passes', async () => {
    srv.route('/hang', () => {}); // never writes a byte
    const t0 = performance.now();
    await assert.rejects(loadTrustedJwkSets([`${srv.origin}/hang`], { ...opts, timeoutMs: 200 }), configError(/\/hang: no complete answer within 200 ms/));
    assert.ok(performance.now() - t0 < 5000);
  });

  test('follows an https redirect and refuses one to http://, a loop, and a redirect without Location', async () => {
    srv.route('/moved', answer(302, '', { location: '/moved-here' }));
    srv.route('/moved-here', answer(200, { keys: [KEY_A] }));
    assert.deepEqual(await loadTrustedJwkSets([`${srv.origin}/moved`], opts), [KEY_A]);
    srv.route('/downgrade', answer(301, '', { location: 'http://127.0.0.1:1/jwks' }));
    await assert.rejects(loadTrustedJwkSets([`${srv.origin}/downgrade`], opts), configError(/redirect to http:\/\/127\.0\.0\.1:1\/jwks refused/));
    srv.route('/loop', answer(307, '', { location: '/loop' }));
    await assert.rejects(loadTrustedJwkSets([`${srv.origin}/loop`], opts), configError(/\/loop: more than 3 redirects/));
    assert.equal(srv.hits('/loop'), 4);
    srv.route('/nowhere', answer(302, ''));
    await assert.rejects(loadTrustedJwkSets([`${srv.origin}/nowhere`], opts), configError(/HTTP 302 redirect without a Location/));
  });

  test('reports an unreachable server without trying its discovery document', async () => {
    const gone = await startHttpsRoutes(ca);
    const origin = gone.origin;
    await gone.close();
    await assert.rejects(loadTrustedJwkSets([`${origin}/jwks`], opts), configError(/\/jwks: unreachable \(.*ECONNREFUSED/));
  });
});

describe('JwkSetRefresher', () => {
  /** A refresher over one local file, with a clock the test moves and every change and error recorded. */
  const setUp = (name: string, initial: TrustedJwk[], minGapMs = 1000) => {
    const file = join(dir, name);
    writeFileSync(file, JSON.stringify({ keys: initial }));
    let clock = 0;
    const changes: TrustedJwk[][] = [];
    const errors: Error[] = [];
    const r = new JwkSetRefresher([file], initial, { intervalMs: 0, minGapMs, now: () => clock }, (k) => changes.push(k), (e) => errors.push(e));
    return { file, r, changes, errors, tick: (ms: number) => (clock += ms) };
  };

  test('hands over the keys when a reload finds them changed, and only then', async () => {
    const { file, r, changes } = setUp('refresh-change.json', [KEY_A]);
    assert.equal(await r.refresh(), false);
    assert.deepEqual(changes, []);
    writeFileSync(file, JSON.stringify({ keys: [KEY_A, KEY_B] }));
    assert.equal(await r.refresh(), true);
    assert.equal(await r.refresh(), false);
    assert.deepEqual(changes, [[KEY_A, KEY_B]]);
  });

  test('keeps the last good keys when a reload fails, reports why, and recovers on the next good one', async () => {
    const { file, r, changes, errors } = setUp('refresh-broken.json', [KEY_A]);
    writeFileSync(file, '{"keys": [');
    assert.equal(await r.refresh(), false);
    writeFileSync(file, JSON.stringify({ keys: [] }));
    assert.equal(await r.refresh(), false);
    assert.deepEqual(changes, []);
    assert.equal(errors.length, 2);
    assert.ok(errors.every((e) => e instanceof ConfigError && e.key === JWK_SETS_KEY));
    assert.match(errors[0]!.message, /refresh-broken\.json is not JSON/);
    assert.match(errors[1]!.message, /refresh-broken\.json has no key with a "kid"/);
    writeFileSync(file, JSON.stringify({ keys: [KEY_B] }));
    assert.equal(await r.refresh(), true);
    assert.deepEqual(changes, [[KEY_B]]);
  });

  test('reloads on demand at most once per minimum gap, counting the startup load, and shares a reload under way', async () => {
    const { file, r, changes, tick } = setUp('refresh-gap.json', [KEY_A], 1000);
    writeFileSync(file, JSON.stringify({ keys: [KEY_B] }));
    assert.equal(await r.refreshIfDue(), false); // right after startup
    tick(999);
    assert.equal(await r.refreshIfDue(), false);
    tick(1);
    const first = r.refreshIfDue();
    assert.equal(r.refreshIfDue(), first);
    assert.equal(r.refresh(), first);
    assert.equal(await first, true);
    writeFileSync(file, JSON.stringify({ keys: [KEY_A] }));
    assert.equal(await r.refreshIfDue(), false); // the gap starts again
    assert.equal(await r.refresh(), true); // an explicit reload is not limited
    assert.deepEqual(changes, [[KEY_B], [KEY_A]]);
  });

  test('reloads every interval once started, and not after stop', async () => {
    const file = join(dir, 'refresh-interval.json');
    writeFileSync(file, JSON.stringify({ keys: [KEY_A] }));
    let seen!: (keys: TrustedJwk[]) => void;
    const changed = new Promise<TrustedJwk[]>((resolve) => (seen = resolve));
    const r = new JwkSetRefresher([file], [KEY_A], { intervalMs: 20 }, (k) => seen(k), (e) => assert.fail(e));
    const guard = setTimeout(() => assert.fail('no reload within 5 s'), 5000); // also keeps the loop alive
    r.start();
    writeFileSync(file, JSON.stringify({ keys: [KEY_B] }));
    assert.deepEqual(await changed, [KEY_B]);
    r.stop();
    clearTimeout(guard);
    let after = 0;
    const r2 = new JwkSetRefresher([file], [KEY_B], { intervalMs: 10 }, () => after++, () => after++);
    r2.start().stop();
    writeFileSync(file, JSON.stringify({ keys: [KEY_A] }));
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(after, 0);
  });
});

describe('JwkSetRefresher over https', { skip: SKIP }, () => {
  test('follows a rotation at the identity provider and rides out its outage', async () => {
    srv.route('/rotating/jwks', answer(200, { keys: [KEY_A] }));
    const url = `${srv.origin}/rotating/jwks`;
    const initial = await loadTrustedJwkSets([url], opts);
    const changes: TrustedJwk[][] = [];
    const errors: Error[] = [];
    const r = new JwkSetRefresher([url], initial, { ...opts, intervalMs: 0 }, (k) => changes.push(k), (e) => errors.push(e));
    srv.route('/rotating/jwks', answer(200, { keys: [KEY_B, KEY_A] }));
    assert.equal(await r.refresh(), true);
    srv.route('/rotating/jwks', answer(503, 'down for maintenance'));
    assert.equal(await r.refresh(), false);
    assert.match(errors[0]!.message, /rotating\/jwks is not a JWK set \(HTTP 503\)/);
    srv.route('/rotating/jwks', answer(200, { keys: [KEY_B] }));
    assert.equal(await r.refresh(), true);
    assert.deepEqual(changes, [[KEY_B, KEY_A], [KEY_B]]);
    assert.equal(srv.hits('/rotating/jwks'), 4);
  });
});

describe('JWK sets under another config key', () => {
  const key = 'attestation_service.certs_file';
  const named = (e: unknown) => e instanceof ConfigError && e.key === key && e.message.startsWith(`${key}: `) && !e.message.includes(JWK_SETS_KEY);

  test('readLocalJwkSets and loadTrustedJwkSets name the key they load for', async () => {
    assert.throws(() => readLocalJwkSets(['/nonexistent/ita-certs.json'], key), named);
    assert.throws(() => readLocalJwkSets(['http://example.invalid/certs'], key), named);
    await assert.rejects(loadTrustedJwkSets(['/nonexistent/ita-certs.json'], { configKey: key }), named);
  });

  test('without a key they name trusted_jwk_sets, as before', () => {
    assert.throws(() => readLocalJwkSets(['/nonexistent/ita-certs.json']), (e: unknown) => e instanceof ConfigError && e.key === JWK_SETS_KEY);
  });
});
