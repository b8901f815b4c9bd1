import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parseToml } from '../core/index.js';
import { fixturePath, fixtureText } from '../../test/support/fixtures.js';
import { serveSettingsFromConfig } from './options.js';

describe('serveSettingsFromConfig', () => {
  test('maps every upstream kbs-config fixture, refusing remote JWK sets clearly', () => {
    const read: string[] = [];
    for (const name of readdirSync(fixturePath('kbs-configs'))) {
      const doc = parseToml(fixtureText(`kbs-configs/${name}`), name);
      if (/https:/.test(JSON.stringify(doc))) {
        assert.throws(() => serveSettingsFromConfig(doc, () => '{"keys":[]}'), { key: 'attestation_token.trusted_jwk_sets' }, name);
        continue;
      }
      const s = serveSettingsFromConfig(doc, (p) => (read.push(p), '{"keys":[]}'));
      assert.ok(s.port > 0, name);
      assert.equal(s.options.sessionLifetimeMinutes, name === 'coco-as-grpc-1.toml' ? 600 : 5, name);
    }
    assert.deepEqual(read.sort(), ['/etc/ca', '/etc/ca', '/etc/ca2', '/etc/ca2']);
  });

  test('reads sockets, limits and our kbs extras', () => {
    const s = serveSettingsFromConfig(
      { http_server: { sockets: ['0.0.0.0:9090'], payload_request_size: 4 }, kbs: { version_range: '^0.4.0', verbose_errors: true } },
      () => '',
    );
    assert.equal(s.host, '0.0.0.0');
    assert.equal(s.port, 9090);
    assert.equal(s.bodyLimitBytes, 4 * 1024 * 1024);
    assert.equal(s.options.versionRange, '^0.4.0');
    assert.equal(s.options.verboseErrors, true);
  });

  test('refuses wrong types with ConfigError naming the key', () => {
    assert.throws(() => serveSettingsFromConfig({ http_server: { sockets: 'x' } }, () => ''), { key: 'http_server.sockets' });
    assert.throws(() => serveSettingsFromConfig({ attestation_service: { timeout: -1 } }, () => ''), { key: 'attestation_service.timeout' });
    assert.throws(() => serveSettingsFromConfig({ attestation_token: { insecure_header_jwk: 'yes' } }, () => ''), { code: 'ERR_CONFIG' });
  });
});
