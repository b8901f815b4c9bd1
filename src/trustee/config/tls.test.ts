import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigError } from '../../core/index.js';
import { tlsOptionsFor } from './tls.js';
import type { HttpServerConfig } from './types.js';
import { requireTools } from '../../../test/support/system-tools.js';
import { makeSelfSignedCert } from '../../../test/support/tls-cert.js';

const skip = requireTools('openssl');
const dir = mkdtempSync(join(tmpdir(), 'coco-tls-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const cert = skip ? { keyPath: '', certPath: '' } : makeSelfSignedCert(dir);
const http = (tls: HttpServerConfig['tls'], extra: Partial<HttpServerConfig> = {}): HttpServerConfig => ({
  sockets: [{ host: '127.0.0.1', port: 0 }],
  insecureHttp: false,
  privateKey: cert.keyPath,
  certificate: cert.certPath,
  payloadRequestSizeBytes: 1,
  tls,
  ...extra,
});
const refused = (h: HttpServerConfig, key: string) => assert.throws(() => tlsOptionsFor(h), (e: unknown) => e instanceof ConfigError && e.key === key);

describe('tlsOptionsFor', { skip }, () => {
  test('maps the named profiles to TLS versions', () => {
    assert.deepEqual([tlsOptionsFor(http({ profile: 'modern' })).minVersion, tlsOptionsFor(http({ profile: 'modern' })).maxVersion], ['TLSv1.3', 'TLSv1.3']);
    assert.equal(tlsOptionsFor(http({ profile: 'intermediate' })).minVersion, 'TLSv1.2');
    assert.match(String(tlsOptionsFor(http({ profile: 'old' })).ciphers), /AES128-SHA256/);
    assert.doesNotMatch(String(tlsOptionsFor(http({ profile: 'intermediate' })).ciphers), /AES128-SHA256|AES256-SHA384/);
  });

  test('passes a custom profile through', () => {
    const o = tlsOptionsFor(http({ profile: 'custom', minVersion: '1.3', ciphers: 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256', groups: 'X25519:secp384r1' }));
    assert.deepEqual([o.minVersion, o.maxVersion, o.ciphers, o.ecdhCurve], ['TLSv1.3', 'TLSv1.3', 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256', 'X25519:secp384r1']);
  });

  test('refuses what OpenSSL cannot do, naming the key', () => {
    // Node 20 links OpenSSL 3.0, which has no ML-KEM hybrid groups (the upstream PQC fixture asks for them).
    refused(http({ profile: 'custom', groups: 'X25519MLKEM768:X25519' }), 'http_server.tls_groups');
    refused(http({ profile: 'custom', ciphers: 'NO-SUCH-CIPHER' }), 'http_server.tls_ciphers');
  });

  test('needs a readable, matching key and certificate', () => {
    refused(http({ profile: 'intermediate' }, { privateKey: undefined }), 'http_server.private_key');
    refused(http({ profile: 'intermediate' }, { certificate: join(dir, 'absent.pem') }), 'http_server.certificate');
    const other = makeSelfSignedCert(dir, 'other');
    refused(http({ profile: 'intermediate' }, { privateKey: other.keyPath }), 'http_server.private_key');
    const garbage = join(dir, 'garbage.pem');
    writeFileSync(garbage, '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n');
    refused(http({ profile: 'intermediate' }, { privateKey: garbage }), 'http_server.private_key');
  });
});
