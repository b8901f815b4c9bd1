/**
 * Fuzz tests for the protocol's boundary parsers: whatever the input, each parser returns a typed
 * value or throws `MalformedInput`/`Unsupported` — never another error, never a hang.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { CocoError } from '../core/index.js';
import { parseAdditionalEvidence, parseAttestationRequest, parseAuthRequest } from './rcar.js';
import { parseResourcePath, parseResourceUri } from './resource-uri.js';
import { decodeInitDataAnnotation, parseInitData } from './initdata.js';
import { resolvePointer } from './ear.js';

function onlyTypedErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof CocoError, `unexpected ${String(e)}`);
  }
}

const validAttestation = {
  'runtime-data': { nonce: 'bm9uY2U=', 'tee-pubkey': { kty: 'EC', crv: 'P-256', alg: 'ECDH-ES+A256KW', x: 'AAAA', y: 'BBBB' } },
  'tee-evidence': { primary_evidence: { svn: '1' }, additional_evidence: '' },
  'init-data': { format: 'toml', body: 'version = "0.1.0"' },
};

/** Replace the value at one random path of a JSON document with an arbitrary JSON value. */
function mutate(doc: unknown, path: number[], value: unknown): unknown {
  if (path.length === 0 || doc === null || typeof doc !== 'object') return value;
  const entries = Object.entries(doc as Record<string, unknown>);
  if (entries.length === 0) return value;
  const [k, v] = entries[path[0]! % entries.length]!;
  const copy: Record<string, unknown> = Array.isArray(doc) ? ([...doc] as unknown as Record<string, unknown>) : { ...(doc as Record<string, unknown>) };
  copy[k] = mutate(v, path.slice(1), value);
  return copy;
}

describe('protocol parsers under fuzzing', () => {
  test('parseAttestationRequest only throws typed errors on mutated requests', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 4 }), fc.jsonValue({ maxDepth: 3 }), (path, value) => {
        onlyTypedErrors(() => parseAttestationRequest(mutate(validAttestation, path, value)));
      }),
      { numRuns: 500 },
    );
  });

  test('parseAuthRequest and parseAdditionalEvidence only throw typed errors on any JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), fc.string(), (value, text) => {
        onlyTypedErrors(() => parseAuthRequest(value));
        onlyTypedErrors(() => parseAdditionalEvidence(text));
        onlyTypedErrors(() => parseAdditionalEvidence(JSON.stringify(value)));
      }),
      { numRuns: 500 },
    );
  });

  test('resource paths and URIs accept only three safe segments', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (s) => {
        onlyTypedErrors(() => parseResourceUri(s));
        try {
          const p = parseResourcePath(s);
          for (const seg of [p.repository, p.type, p.tag]) {
            assert.ok(seg.length > 0 && !seg.startsWith('.') && !seg.includes('/') && !seg.includes('%'));
          }
        } catch (e) {
          assert.ok(e instanceof CocoError);
        }
      }),
      { numRuns: 1000 },
    );
    for (const bad of ['a/../b', '../a/b', 'a//b', 'a/b', 'a/b/c/d', 'a/%2e%2e/b', 'a/b%2Fc/d', 'a/b/', '.a/b/c']) {
      assert.throws(() => parseResourcePath(bad), { code: 'ERR_MALFORMED_INPUT' }, bad);
    }
  });

  test('initdata TOML and annotation decoding only throw typed errors', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.uint8Array({ maxLength: 64 }), (text, bytes) => {
        onlyTypedErrors(() => parseInitData(text));
        onlyTypedErrors(() => parseInitData(`version = "0.1.0"\nalgorithm = "sha256"\n[data]\n${text}`));
        onlyTypedErrors(() => decodeInitDataAnnotation(Buffer.from(bytes).toString('base64')));
        onlyTypedErrors(() => decodeInitDataAnnotation(text));
      }),
      { numRuns: 500 },
    );
  });

  test('resolvePointer never throws on any document and pointer', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 3 }), fc.string({ maxLength: 20 }), (doc, ptr) => void resolvePointer(doc, ptr)));
  });
});
