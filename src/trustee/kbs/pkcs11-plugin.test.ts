import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MalformedInput, NotFound, Unsupported, isCocoError, utf8 } from '../../core/index.js';
import { pkcs11Plugin } from './pkcs11-plugin.js';
import type { HsmSecrets } from './pkcs11-token.js';
import type { PluginRequest } from './plugins.js';
import { rejection } from '../../../test/support/failures.js';

/** A token in memory: secrets by label; wrapping reverses the bytes (enough to see which way data went). */
function memoryToken(): HsmSecrets & { secrets: Map<string, Uint8Array>; closed: boolean } {
  const secrets = new Map<string, Uint8Array>();
  const t = {
    secrets,
    closed: false,
    read: (l: string) => secrets.get(l),
    write: (l: string, v: Uint8Array) => void secrets.set(l, Uint8Array.from(v)),
    remove: (l: string) => secrets.delete(l),
    wrap: (d: Uint8Array) => Uint8Array.from(d).reverse(),
    unwrap: (d: Uint8Array) => Uint8Array.from(d).reverse(),
    close: () => void (t.closed = true),
  };
  return t;
}

const req = (method: string, path: string[], body = ''): PluginRequest => ({ method, path, body: utf8(body), query: {} });
const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

const failure = (p: Promise<unknown>) => rejection(p, 'kbs.plugin.pkcs11');

describe('pkcs11Plugin', () => {
  test('asks attestation for GET and admin rights for POST and DELETE, and refuses other methods', async () => {
    const p = pkcs11Plugin(memoryToken());
    assert.equal(await p.validateAuth(req('GET', ['resource', 'a', 'b', 'c'])), false);
    assert.equal(await p.validateAuth(req('GET', ['wrap-key'])), false);
    assert.equal(await p.validateAuth(req('POST', ['wrap-key'])), true);
    assert.equal(await p.validateAuth(req('DELETE', ['resource', 'a', 'b', 'c'])), true);
    const f = await failure(p.validateAuth(req('PUT', ['resource', 'a', 'b', 'c'])));
    assert.ok(f.error instanceof Unsupported);
    assert.equal(f.check, 'kbs.plugin.pkcs11.method');
    assert.equal(await p.encrypted(req('GET', ['wrap-key'])), true);
  });

  test('stores, replaces, reads and deletes resources under the label repo/type/tag', async () => {
    const t = memoryToken();
    const p = pkcs11Plugin(t);
    assert.equal((await p.handle(req('POST', ['resource', 'default', 'key', '1'], 'first'))).length, 0);
    await p.handle(req('POST', ['resource', 'default', 'key', '1'], 'second'));
    assert.deepEqual([...t.secrets.keys()], ['default/key/1']);
    assert.equal(text(await p.handle(req('GET', ['resource', 'default', 'key', '1']))), 'second');
    await p.handle(req('DELETE', ['resource', 'default', 'key', '1']));
    assert.equal(t.secrets.size, 0);
  });

  test('says a missing resource is missing, on read and on delete', async () => {
    const p = pkcs11Plugin(memoryToken());
    for (const method of ['GET', 'DELETE']) {
      const f = await failure(p.handle(req(method, ['resource', 'default', 'key', 'none'])));
      assert.ok(f.error instanceof NotFound);
      assert.equal(f.check, 'kbs.resource.missing');
    }
  });

  test('wraps on POST and unwraps on GET, and needs data to unwrap', async () => {
    const p = pkcs11Plugin(memoryToken());
    const wrapped = await p.handle(req('POST', ['wrap-key'], 'abc'));
    assert.equal(text(wrapped), 'cba');
    assert.equal(text(await p.handle({ ...req('GET', ['wrap-key']), body: wrapped })), 'abc');
    const f = await failure(p.handle(req('GET', ['wrap-key'])));
    assert.ok(f.error instanceof MalformedInput);
    const d = await failure(p.handle(req('DELETE', ['wrap-key'])));
    assert.equal(d.check, 'kbs.plugin.pkcs11.method');
  });

  test('refuses resource paths with dots, encoded slashes, empty segments or the wrong arity, and unknown paths', async () => {
    const p = pkcs11Plugin(memoryToken());
    for (const rest of [['..', 'b', 'c'], ['a%2Fb', 'b', 'c'], ['a', '', 'c'], ['a', 'b'], ['a', 'b', 'c', 'd']]) {
      const f = await failure(p.handle(req('GET', ['resource', ...rest])));
      assert.ok(f.error instanceof MalformedInput, rest.join('/'));
      assert.equal(f.check, 'kbs.resource.path');
    }
    for (const path of [[], ['wrap-key', 'x'], ['secrets', 'a', 'b', 'c']]) {
      const f = await failure(p.handle(req('GET', path)));
      assert.equal(f.check, 'kbs.plugin.pkcs11.path', path.join('/'));
    }
  });

  test('closes the token with the plugin', () => {
    const t = memoryToken();
    pkcs11Plugin(t).close!();
    assert.equal(t.closed, true);
  });

  test('fails only with typed errors on arbitrary paths and methods (fuzz)', async () => {
    const p = pkcs11Plugin(memoryToken());
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('GET', 'POST', 'DELETE', 'PUT'), fc.array(fc.string({ maxLength: 8 }), { maxLength: 5 }), fc.string({ maxLength: 20 }), async (method, path, body) => {
        try {
          if (!(await p.validateAuth(req(method, path, body)))) await p.handle(req(method, path, body));
          else await p.handle(req(method, path, body));
        } catch (err) {
          assert.ok(isCocoError(err), `untyped failure: ${String(err)}`);
        }
      }),
      { numRuns: 300 },
    );
  });
});
