import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError } from '../../core/index.js';
import { parseConfigText } from '../config.js';

// The attestation-service and plugin choices that need keys of their own (service-sections.ts).
const load = (text: string) => parseConfigText(text, { cwd: '/srv/kbs', env: {}, source: 'test.toml' });

describe('[attestation_service] type = "intel_ta"', () => {
  const ita = (extra: string) => load(`[http_server]\ninsecure_http = true\n[admin]\nauthorization_mode = "DenyAll"\n[attestation_service]\ntype = "intel_ta"\n${extra}`);
  const keys = 'base_url = "https://ita.example/x/"\napi_key = "k"\ncerts_file = "/etc/ita-jwks.json"\n';

  test('reads the policy choice and keeps base_url as given', () => {
    const c = ita(`${keys}policy_ids = ["a", "b"]\nallow_unmatched_policy = true\n`);
    assert.deepEqual(c.attestationService.intelTa, { baseUrl: 'https://ita.example/x/', apiKey: 'k', certsFile: '/etc/ita-jwks.json', policyIds: ['a', 'b'], allowUnmatchedPolicy: true });
  });

  test('requires base_url, api_key and certs_file, naming the missing one', () => {
    for (const missing of ['base_url', 'api_key', 'certs_file']) {
      const text = keys.split('\n').filter((l) => !l.startsWith(missing)).join('\n');
      assert.throws(() => ita(text), (e: unknown) => e instanceof ConfigError && e.key === `attestation_service.${missing}` && /required with type = "intel_ta"/.test(e.message));
    }
  });

  test('refuses a plain-http base_url (the API key would travel in the clear)', () => {
    assert.throws(() => ita(keys.replace('https://', 'http://')), (e: unknown) => e instanceof ConfigError && e.key === 'attestation_service.base_url' && /only https/.test(e.message));
  });

  test('refuses built-in AS sections that would be silently ignored', () => {
    for (const section of ['rvps_config', 'attestation_token_broker', 'verifier_config']) {
      assert.throws(
        () => ita(`${keys}[attestation_service.${section}]\n`),
        (e: unknown) => e instanceof ConfigError && e.key === `attestation_service.${section}` && /does not apply with type = "intel_ta"/.test(e.message),
      );
    }
  });
});

describe('[[plugins]] name = "provisioner"', () => {
  test('reads key_length (default 32, at least 16) and refuses unknown keys', () => {
    const base = '[http_server]\ninsecure_http = true\n[admin]\nauthorization_mode = "DenyAll"\n[[plugins]]\nname = "provisioner"\n';
    assert.deepEqual(load(base).plugins, [{ name: 'provisioner', keyLength: 32 }]);
    assert.deepEqual(load(`${base}key_length = 64\n`).plugins, [{ name: 'provisioner', keyLength: 64 }]);
    for (const [extra, key] of [['key_length = 8\n', 'plugins[0].key_length'], ['keylength = 64\n', 'plugins[0].keylength']]) {
      assert.throws(() => load(base + extra), (e: unknown) => e instanceof ConfigError && e.key === key, key);
    }
  });
});

describe('[[plugins]] name = "pkcs11"', () => {
  const base = '[http_server]\ninsecure_http = true\n[admin]\nauthorization_mode = "DenyAll"\n[[plugins]]\nname = "pkcs11"\n';

  test('reads the module, PIN, slot, mechanism and wrap-key label, with upstream defaults', () => {
    const c = load(`${base}module = "/usr/lib/softhsm/libsofthsm2.so"\npin = "1234"\n`);
    assert.deepEqual(c.plugins, [
      { name: 'pkcs11', module: '/usr/lib/softhsm/libsofthsm2.so', slotIndex: 0, pin: '1234', rsaMechanism: 'RsaPkcsOaep', lookupLabel: '', configKey: 'plugins[0]' },
    ]);
    const d = load(`${base}module = "/m.so"\npin = "1"\nslot_index = 2\nrsa_mechanism = "RsaPkcsTest"\nlookup_label = "wrap"\n`);
    assert.deepEqual({ ...d.plugins[0] }, { name: 'pkcs11', module: '/m.so', slotIndex: 2, pin: '1', rsaMechanism: 'RsaPkcsTest', lookupLabel: 'wrap', configKey: 'plugins[0]' });
  });

  test('does not repeat a PIN or an API key given with the wrong type', () => {
    assert.throws(() => load(`${base}module = "/m.so"\npin = 12345678\n`), (e: unknown) => e instanceof ConfigError && e.key === 'plugins[0].pin' && !e.message.includes('12345678'));
    const ita = '[http_server]\ninsecure_http = true\n[admin]\nauthorization_mode = "DenyAll"\n[attestation_service]\ntype = "intel_ta"\nbase_url = "https://x"\ncerts_file = "/c"\napi_key = 987654321\n';
    assert.throws(() => load(ita), (e: unknown) => e instanceof ConfigError && e.key === 'attestation_service.api_key' && !e.message.includes('987654321'));
  });

  test('requires module and pin, and refuses an unknown mechanism, a slot over 255 and unknown keys', () => {
    const cases: Array<[string, string]> = [
      ['pin = "1"\n', 'plugins[0].module'],
      ['module = "/m.so"\n', 'plugins[0].pin'],
      ['module = "/m.so"\npin = "1"\nrsa_mechanism = "RsaPkcs"\n', 'plugins[0].rsa_mechanism'],
      ['module = "/m.so"\npin = "1"\nslot_index = 256\n', 'plugins[0].slot_index'],
      ['module = "/m.so"\npin = "1"\nslot = 1\n', 'plugins[0].slot'],
    ];
    for (const [extra, key] of cases) {
      assert.throws(() => load(base + extra), (e: unknown) => e instanceof ConfigError && e.key === key, key);
    }
  });
});
