import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ConfigError, satisfiesRange } from '../core/index.js';
import { loadConfig, parseConfigText, parseTrusteeArgs, type TrusteeConfig } from './config.js';
import { trusteeOptionsFromConfig } from './serve.js';
import { fixturePath, fixtureText } from '../../test/support/fixtures.js';

const CWD = '/srv/kbs';
const load = (text: string, env: Record<string, string> = {}) => parseConfigText(text, { cwd: CWD, env, source: 'test.toml' });
const fails = (text: string, key: string, message?: RegExp) =>
  assert.throws(() => load(text), (e: unknown) => e instanceof ConfigError && e.key === key && (message ? message.test(e.message) : e.message.includes(key)));

/** A `coco_as_grpc` fixture: the remote AS address and pool size, then the file's other checks. */
function remoteAs(address: string, poolSize: number, rest: (c: TrusteeConfig) => void): (c: TrusteeConfig) => void {
  return (c) => {
    assert.equal(c.attestationService.type, 'coco_as_grpc');
    assert.deepEqual(c.attestationService.remote, { address, poolSize });
    rest(c);
  };
}

function intelTa(rest: (c: TrusteeConfig) => void): (c: TrusteeConfig) => void {
  return (c) => {
    assert.equal(c.attestationService.type, 'intel_ta');
    assert.deepEqual(c.attestationService.intelTa, {
      baseUrl: 'https://api.trustauthority.intel.com',
      apiKey: 'tBfd5kKX2x9ahbodKV1...',
      certsFile: 'https://portal.trustauthority.intel.com',
      policyIds: [],
      allowUnmatchedPolicy: false,
    });
    assert.equal(c.attestationService.sessionTimeoutMin, 5);
    assert.deepEqual(c.attestationToken.trustedJwkSets, ['https://portal.trustauthority.intel.com']);
    rest(c);
  };
}

// What each upstream fixture must give: a check of the typed config, the key it is refused for as
// unsupported (then it must load with the built-in AS instead), or the key and message of an invalid value.
const EXPECT: Record<string, ((c: TrusteeConfig) => void) | string | { key: string; message: RegExp }> = {
  'coco-as-builtin-1.toml': (c) => {
    assert.equal(c.attestationService.type, 'coco_as_builtin');
    assert.deepEqual(c.attestationService.rvps, { type: 'GrpcRemote', address: 'http://127.0.0.1:50003' });
    assert.deepEqual(trusteeOptionsFromConfig(c).remoteRvps, { address: 'http://127.0.0.1:50003' });
    assert.equal(c.attestationService.tokenBroker.issuerName, 'CoCo-Attestation-Service');
    assert.deepEqual(c.admin, { mode: 'DenyAll' });
    assert.equal(c.http.insecureHttp, false);
  },
  'coco-as-builtin-2.toml': (c) => {
    assert.deepEqual(c.http.sockets, [{ host: '0.0.0.0', port: 8080 }]);
    assert.equal(c.http.insecureHttp, true);
    assert.equal(c.http.payloadRequestSizeBytes, 2 * 1024 * 1024);
    assert.equal(c.attestationToken.insecureHeaderJwk, false);
    assert.equal(c.attestationService.sessionTimeoutMin, 5);
    assert.equal(c.attestationService.tokenBroker.durationMin, 5);
    assert.deepEqual(c.admin, { mode: 'InsecureAllowAll' });
    assert.deepEqual(c.storage, { type: 'memory' });
    assert.deepEqual(c.sessionStorage, { type: 'memory' });
  },
  'coco-as-builtin-3.toml': (c) => {
    assert.deepEqual(c.storage, { type: 'sqlite', path: '/opt/confidential-containers/trustee/kbs.sqlite' });
    assert.deepEqual(c.admin, { mode: 'AuthenticatedAuthorization', identityProviders: [], acls: [] });
    assert.deepEqual(c.plugins, [{ name: 'resource', storageBackendType: 'kvstorage' }]);
    assert.equal(c.http.sockets[0]!.host, '127.0.0.1');
  },
  'coco-as-grpc-1.toml': remoteAs('http://127.0.0.1:50001', 100, (c) => {
    assert.equal(c.attestationService.sessionTimeoutMin, 600);
    assert.deepEqual(c.attestationToken.trustedCertsPaths, ['/etc/ca', '/etc/ca2']);
    assert.equal(c.http.privateKey, '/etc/kbs-private.key');
    assert.deepEqual(c.plugins, [{ name: 'sample', item: 'value1' }, { name: 'resource', storageBackendType: 'kvstorage' }]);
  }),
  'coco-as-grpc-2.toml': remoteAs('http://as:50004', 100, (c) => {
    assert.equal(c.attestationService.sessionTimeoutMin, 5);
    assert.equal(c.admin.mode, 'AuthenticatedAuthorization');
    if (c.admin.mode !== 'AuthenticatedAuthorization') return;
    assert.deepEqual(c.admin.identityProviders[1], { issuer: 'admin2-issuer', publicKeyUri: '/opt/confidential-containers/trustee/admin2-pubkey.pem' });
    assert.deepEqual(c.admin.acls[0], { role: 'admin1', allowedEndpoints: '^/kbs/v0/resource/.+$' });
    assert.deepEqual(c.sessionStorage, { type: 'memory' });
    assert.deepEqual(c.storage, { type: 'sqlite', path: '/opt/confidential-containers/trustee/kbs.sqlite' });
  }),
  'coco-as-grpc-3.toml': remoteAs('http://127.0.0.1:50004', 100, (c) => assert.deepEqual(c.storage, { type: 'memory' })),
  // Upstream takes base_url = "example.io" and fails at every attestation; we refuse it at load.
  'intel-ta-1.toml': { key: 'attestation_service.base_url', message: /"example\.io" is not an absolute URL/ },
  'intel-ta-2.toml': intelTa((c) => assert.equal(c.http.insecureHttp, true)),
  'intel-ta-3.toml': intelTa((c) => assert.deepEqual(c.admin, { mode: 'DenyAll' })),
  'tls-profile-custom-pqc.toml': remoteAs('http://127.0.0.1:50001', 100, (c) =>
    assert.deepEqual(c.http.tls, {
      profile: 'custom',
      minVersion: '1.3',
      maxVersion: '1.3',
      ciphers: 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256',
      groups: 'X25519MLKEM768:X25519:secp256r1',
    }),
  ),
  'tls-profile-custom.toml': remoteAs('http://127.0.0.1:50001', 100, (c) =>
    assert.deepEqual(c.http.tls, { profile: 'custom', minVersion: '1.3', ciphers: 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256', groups: 'X25519:secp384r1' }),
  ),
  'tls-profile-intermediate.toml': remoteAs('http://127.0.0.1:50001', 100, (c) => assert.deepEqual(c.http.tls, { profile: 'intermediate' })),
  'tls-profile-modern.toml': remoteAs('http://127.0.0.1:50001', 100, (c) => assert.deepEqual(c.http.tls, { profile: 'modern' })),
  'tls-profile-old.toml': remoteAs('http://127.0.0.1:50001', 100, (c) => assert.deepEqual(c.http.tls, { profile: 'old' })),
};

// The same files with the refused choice replaced by the built-in one must load: the rest of each file is understood.
const BUILTIN_AS = '[attestation_service]\ntype = "coco_as_builtin"\ntimeout = 7\n';
function withBuiltinAs(text: string): string {
  const withoutAs = text.replace(/\[attestation_service\][\s\S]*?(?=\n\[|$)/, '').replace(/\[attestation_service\.rvps_config\][\s\S]*?(?=\n\[|$)/, '');
  return `${withoutAs}\n${BUILTIN_AS}`;
}
const VARIANT: Record<string, (c: TrusteeConfig) => void> = {
  'intel-ta-1.toml': (c) => assert.deepEqual(c.attestationToken.trustedJwkSets, ['/etc/ca', '/etc/ca2']),
};

describe('loadConfig on the upstream kbs-config fixtures', () => {
  const files = readdirSync(fixturePath('kbs-configs')).filter((f) => f.endsWith('.toml')).sort();

  test('every fixture file has an expectation', () => {
    assert.deepEqual(files, Object.keys(EXPECT).sort());
  });

  for (const f of files) {
    const want = EXPECT[f]!;
    if (typeof want === 'string') {
      test(`${f} is refused with a ConfigError naming ${want}`, () => {
        assert.throws(
          () => loadConfig({ file: fixturePath(`kbs-configs/${f}`), cwd: CWD }),
          (e: unknown) => e instanceof ConfigError && e.key === want && e.message.includes(want) && /not supported/.test(e.message),
        );
      });
      test(`${f} loads once its attestation service is the built-in one`, () => {
        const c = load(withBuiltinAs(fixtureText(`kbs-configs/${f}`)));
        assert.equal(c.attestationService.sessionTimeoutMin, 7);
        VARIANT[f]!(c);
      });
    } else if (typeof want === 'object') {
      test(`${f} is refused with a ConfigError naming ${want.key}`, () => {
        assert.throws(
          () => loadConfig({ file: fixturePath(`kbs-configs/${f}`), cwd: CWD }),
          (e: unknown) => e instanceof ConfigError && e.key === want.key && e.message.includes(want.key) && want.message.test(e.message),
        );
      });
      test(`${f} loads once its invalid value is replaced by the built-in attestation service`, () => {
        const c = load(withBuiltinAs(fixtureText(`kbs-configs/${f}`)));
        assert.equal(c.attestationService.sessionTimeoutMin, 7);
        VARIANT[f]!(c);
      });
    } else {
      test(`${f} loads with the expected values`, () => want(loadConfig({ file: fixturePath(`kbs-configs/${f}`), cwd: CWD })));
    }
  }
});

describe('loadConfig defaults', () => {
  test('without a file gives the embedded defaults', () => {
    const c = loadConfig({ cwd: CWD, env: {} });
    assert.equal(c.source, undefined);
    assert.equal(c.dataDir, '/srv/kbs/data');
    assert.deepEqual(c.http.sockets, [{ host: '127.0.0.1', port: 8080 }]);
    assert.equal(c.http.insecureHttp, true);
    assert.equal(c.http.payloadRequestSizeBytes, 2 * 1024 * 1024);
    assert.deepEqual(c.storage, { type: 'sqlite', path: '/srv/kbs/data/kbs.sqlite' });
    assert.deepEqual(c.sessionStorage, { type: 'memory' }, 'sessions stay in memory, as in the upstream default');
    assert.deepEqual(c.admin, {
      mode: 'AuthenticatedAuthorization',
      identityProviders: [{ publicKeyUri: '/srv/kbs/data/admin-key.pub.pem' }],
      acls: [{ role: 'admin', allowedEndpoints: '^/kbs/.+$' }],
    });
    assert.equal(c.attestationService.sessionTimeoutMin, 5);
    assert.equal(c.attestationService.tokenBroker.issuerName, 'CoCo-Attestation-Service');
    assert.equal(c.protocolVersion.source, '=0.4.0');
    assert.equal(satisfiesRange('0.4.0', c.protocolVersion), true);
    assert.equal(satisfiesRange('0.3.0', c.protocolVersion), false);
    assert.equal(c.verboseErrors, false);
    assert.equal(c.attestationToken.refreshSec, 300);
  });

  test('coco_as_grpc without as_addr uses upstream\'s default address; a malformed address is refused by key', () => {
    const c = load('[attestation_service]\ntype = "coco_as_grpc"\n');
    assert.deepEqual(c.attestationService.remote, { address: 'http://127.0.0.1:50004', poolSize: 100 });
    assert.deepEqual(trusteeOptionsFromConfig(c).remoteAs, { address: 'http://127.0.0.1:50004' });
    assert.equal(trusteeOptionsFromConfig(load('')).remoteAs, undefined, 'the built-in service is the default');
    fails('[attestation_service]\ntype = "coco_as_grpc"\nas_addr = "127.0.0.1:50004"\n', 'attestation_service.as_addr', /http:\/\/host:port/);
    fails('[attestation_service]\ntype = "coco_as_grpc"\nas_addr = "http://as:1/path"\n', 'attestation_service.as_addr');
    fails('[attestation_service]\ntype = "coco_as_grpc"\npool_size = 0\n', 'attestation_service.pool_size');
  });

  test('a GrpcRemote RVPS defaults to upstream\'s address and gets http:// when the scheme is missing', () => {
    assert.deepEqual(load('[attestation_service.rvps_config]\ntype = "GrpcRemote"\n').attestationService.rvps, { type: 'GrpcRemote', address: 'http://127.0.0.1:50003' });
    assert.deepEqual(load('[attestation_service.rvps_config]\ntype = "GrpcRemote"\naddress = "https://rvps:9"\n').attestationService.rvps, { type: 'GrpcRemote', address: 'https://rvps:9' });
    fails('[attestation_service.rvps_config]\ntype = "GrpcRemote"\naddress = "http://rvps:9/x"\n', 'attestation_service.rvps_config.address');
    // With a remote AS the RVPS is the AS's business: a GrpcRemote RVPS there would be ignored, so it is refused.
    fails('[attestation_service]\ntype = "coco_as_grpc"\n[attestation_service.rvps_config]\ntype = "GrpcRemote"\n', 'attestation_service.rvps_config.type', /coco_as_grpc/);
    // Built-in RVPS settings do not apply to a remote one.
    fails('[attestation_service.rvps_config]\ntype = "GrpcRemote"\nstorage_type = "Memory"\n', 'attestation_service.rvps_config.storage_type', /BuiltIn/);
    fails('[attestation_service.rvps_config]\ntype = "GrpcRemote"\n[attestation_service.rvps_config.extractors]\nx = 1\n', 'attestation_service.rvps_config.extractors', /BuiltIn/);
  });

  test('TLS files for a gRPC AS or RVPS: https:// only, a client certificate with its key, AS keys with coco_as_grpc only', () => {
    const grpc = (keys: string) => `[attestation_service]\ntype = "coco_as_grpc"\nas_addr = "https://as:50004"\n${keys}`;
    const c = load(grpc('as_ca_cert = "/etc/as/ca.pem"\nas_client_cert = "/etc/as/kbs.pem"\nas_client_key = "/etc/as/kbs.key"\n'));
    assert.deepEqual(c.attestationService.remote?.tls, { caCert: '/etc/as/ca.pem', clientCert: '/etc/as/kbs.pem', clientKey: '/etc/as/kbs.key' });
    assert.deepEqual(load(grpc('as_ca_cert = "/ca.pem"\n')).attestationService.remote?.tls, { caCert: '/ca.pem' });
    assert.equal(load(grpc('')).attestationService.remote?.tls, undefined);
    fails(grpc('as_client_cert = "/c.pem"\n'), 'attestation_service.as_client_key', /required with/);
    fails(grpc('as_client_key = "/c.key"\n'), 'attestation_service.as_client_cert', /required with/);
    fails('[attestation_service]\ntype = "coco_as_grpc"\nas_addr = "http://as:1"\nas_ca_cert = "/ca.pem"\n', 'attestation_service.as_ca_cert', /https:\/\//);
    fails('[attestation_service]\nas_ca_cert = "/ca.pem"\n', 'attestation_service.as_ca_cert', /coco_as_grpc/);
    const rv = load('[attestation_service.rvps_config]\ntype = "GrpcRemote"\naddress = "https://rvps:1"\nca_cert = "/ca.pem"\n').attestationService.rvps;
    assert.deepEqual(rv, { type: 'GrpcRemote', address: 'https://rvps:1', tls: { caCert: '/ca.pem' } });
    fails('[attestation_service.rvps_config]\ntype = "GrpcRemote"\nca_cert = "/ca.pem"\n', 'attestation_service.rvps_config.ca_cert', /https:\/\//);
    // The files are read when the options are made: a missing one names its key.
    assert.throws(() => trusteeOptionsFromConfig(c), (e: unknown) => e instanceof ConfigError && e.key === 'attestation_service.as_ca_cert');
  });

  test('[[plugins]] external: backends as upstream checks them, and the plugins it builds', () => {
    const ext = (backends: string) => `[[plugins]]\nname = "external"\nbackends = [${backends}]\n`;
    const c = load(ext('{ name = "a", endpoint = "http://a:1", timeout_ms = 500 }, { name = "b", endpoint = "https://b:2", ca_cert_path = "/ca.pem" }'));
    assert.deepEqual(c.plugins, [
      {
        name: 'external',
        backends: [
          { name: 'a', endpoint: 'http://a:1', timeoutMs: 500 },
          { name: 'b', endpoint: 'https://b:2', caCertPath: '/ca.pem' },
        ],
      },
    ]);
    fails(ext(''), 'plugins[0].backends', /at least one backend/);
    fails(ext('{ name = "a", endpoint = "http://a:1" }, { name = "a", endpoint = "http://b:1" }'), 'plugins[0].backends[1].name', /duplicate/);
    fails(ext('{ name = "a", endpoint = "https://a:1" }'), 'plugins[0].backends[0].ca_cert_path', /https:\/\//);
    fails(ext('{ name = "a", endpoint = "a:1" }'), 'plugins[0].backends[0].endpoint');
    fails(ext('{ endpoint = "http://a:1" }'), 'plugins[0].backends[0].name');
    fails(ext('{ name = "a", endpoint = "http://a:1", colour = "red" }'), 'plugins[0].backends[0].colour', /unknown key/);
    fails('[[plugins]]\nname = "nebula-ca"\n', 'plugins[0].name', /resource, sample, external, pkcs11, provisioner/);
    const withSample = trusteeOptionsFromConfig(load('[[plugins]]\nname = "sample"\nitem = "x"\n' + ext('{ name = "a", endpoint = "http://a:1" }')));
    assert.deepEqual(Object.keys(withSample.plugins ?? {}).sort(), ['external', 'sample']);
    for (const p of Object.values(withSample.plugins ?? {})) p.close?.();
    assert.equal(trusteeOptionsFromConfig(load('[[plugins]]\nname = "resource"\n')).plugins, undefined, 'resource is built in');
  });

  test('kbs.jwk_sets_refresh_sec sets how often the trusted JWK sets are reloaded; 0 means at startup only', () => {
    const c = load('[kbs]\njwk_sets_refresh_sec = 0\n');
    assert.equal(c.attestationToken.refreshSec, 0);
  });

  test('kbs.heap_growing_percent defaults to V8’s largest factor (300) and 0 leaves V8’s own choice', () => {
    assert.equal(load('[admin]\nauthorization_mode = "DenyAll"\n').heapGrowingPercent, 300);
    assert.equal(load('[kbs]\nheap_growing_percent = 0\n').heapGrowingPercent, 0);
    assert.equal(load('[kbs]\nheap_growing_percent = 100\n').heapGrowingPercent, 100);
  });

  test('a file without [storage_backend] keeps upstream’s Memory default and TLS on', () => {
    const c = load('[admin]\nauthorization_mode = "DenyAll"\n');
    assert.deepEqual(c.storage, { type: 'memory' });
    assert.equal(c.http.insecureHttp, false);
  });
});

describe('loadConfig overrides', () => {
  test('KBS_CONFIG_FILE names the file when no file is given', () => {
    const c = loadConfig({ env: { KBS_CONFIG_FILE: fixturePath('kbs-configs/coco-as-builtin-2.toml') } });
    assert.equal(c.source, fixturePath('kbs-configs/coco-as-builtin-2.toml'));
  });

  test('flags win over env, env over the file', () => {
    const text = '[http_server]\nsockets = ["0.0.0.0:9000"]\n[kbs]\ndata_dir = "/var/file"\nverbose_errors = false\n';
    const env = { COCO_PORT: '9100', COCO_DATA_DIR: '/var/env', COCO_VERBOSE_ERRORS: 'true' };
    const c1 = parseConfigText(text, { env, cwd: CWD });
    assert.deepEqual(c1.http.sockets, [{ host: '0.0.0.0', port: 9100 }]);
    assert.equal(c1.dataDir, '/var/env');
    assert.equal(c1.verboseErrors, true);
    const c2 = parseConfigText(text, { env, cwd: CWD, overrides: { port: 0, host: '127.0.0.1', dataDir: 'rel' } });
    assert.deepEqual(c2.http.sockets, [{ host: '127.0.0.1', port: 0 }]);
    assert.equal(c2.dataDir, '/srv/kbs/rel');
  });

  test('the worker count comes from --workers, else COCO_WORKERS, else worker_count, else stays unset (one process)', () => {
    const text = '[http_server]\nworker_count = 3\n';
    assert.equal(parseConfigText('', { env: {}, cwd: CWD }).http.workerCount, undefined);
    assert.equal(parseConfigText(text, { env: {}, cwd: CWD }).http.workerCount, 3);
    assert.equal(parseConfigText(text, { env: { COCO_WORKERS: '4' }, cwd: CWD }).http.workerCount, 4);
    assert.equal(parseConfigText(text, { env: { COCO_WORKERS: '4' }, cwd: CWD, overrides: { workers: 2 } }).http.workerCount, 2);
    assert.equal(parseConfigText(text, { env: { COCO_WORKERS: '' }, cwd: CWD }).http.workerCount, 3);
  });

  test('refuses a COCO_WORKERS that is not a count from 1 to 1024', () => {
    for (const bad of ['0', '-1', '1025', '2.5', 'two', ' 2']) {
      assert.throws(() => parseConfigText('', { env: { COCO_WORKERS: bad }, cwd: CWD }), (e: unknown) => e instanceof ConfigError && e.key === 'COCO_WORKERS', bad);
    }
  });

  test('--storage postgres uses POSTGRES_URL for data and sessions', () => {
    const c = loadConfig({ env: { POSTGRES_URL: 'postgres://u@db:5432/kbs' }, overrides: { storage: 'postgres' } });
    assert.deepEqual(c.storage, { type: 'postgres', connectionString: 'postgres://u@db:5432/kbs' });
    assert.deepEqual(c.sessionStorage, c.storage);
  });

  test('[storage_backend.backends.postgres] builds a connection string', () => {
    const c = load('[storage_backend]\nstorage_type = "Postgres"\n[storage_backend.backends.postgres]\nhost = "db"\nport = 5433\ndb = "trustee"\nusername = "kbs"\npassword = "p@ss"\n');
    assert.deepEqual(c.storage, { type: 'postgres', connectionString: 'postgres://kbs:p%40ss@db:5433/trustee' });
  });
});

describe('loadConfig errors', () => {
  test('unknown keys are refused at every level', () => {
    fails('foo = 1\n', 'foo', /unknown key foo/);
    fails('[http_server]\nsocket = ["1.2.3.4:1"]\n', 'http_server.socket');
    fails('[admin]\nauthorization_mode = "DenyAll"\nextra = true\n', 'admin.extra');
    fails('[attestation_service.attestation_token_broker]\ntype = "Ear"\n', 'attestation_service.attestation_token_broker.type');
    fails('[storage_backend.backends.postgres]\nhostname = "x"\n', 'storage_backend.backends.postgres.hostname');
    fails('[policy_engine]\npolicy_path = "/x"\n', 'policy_engine');
  });

  test('wrong types and values name the key', () => {
    fails('[http_server]\ninsecure_http = "yes"\n', 'http_server.insecure_http');
    fails('[http_server]\nsockets = ["nohost"]\n', 'http_server.sockets');
    fails('[http_server]\npayload_request_size = -1\n', 'http_server.payload_request_size');
    fails('[http_server]\ntls_profile = "paranoid"\n', 'http_server.tls_profile');
    fails('[storage_backend]\nstorage_type = "Floppy"\n', 'storage_backend.storage_type');
    fails('[kbs]\nversion_range = "=0.4"\n[kbs.x]\n', 'kbs.x');
    fails('[kbs]\nversion_range = "v4"\n', 'kbs.version_range');
    fails('[kbs]\njwk_sets_refresh_sec = -1\n', 'kbs.jwk_sets_refresh_sec');
    fails('[kbs]\njwk_sets_refresh_sec = "5m"\n', 'kbs.jwk_sets_refresh_sec');
    fails('[kbs]\nheap_growing_percent = -1\n', 'kbs.heap_growing_percent');
    fails('[kbs]\nheap_growing_percent = 1001\n', 'kbs.heap_growing_percent');
    fails('[admin]\nauthorization_mode = "Maybe"\n', 'admin.authorization_mode');
  });

  test('Redis storage, other plugins and non-KV resource backends are refused by name', () => {
    fails('[storage_backend]\nstorage_type = "Redis"\n', 'storage_backend.storage_type', /not supported/);
    fails('[[plugins]]\nname = "nebula-ca"\n', 'plugins[0].name', /not supported/);
    fails('[[plugins]]\nname = "resource"\nstorage_backend_type = "Vault"\nvault_url = "x"\n', 'plugins[0].storage_backend_type', /not supported/);
  });

  test('ACL regexes must be anchored at ^/kbs and $', () => {
    fails('[admin]\nauthorization_mode = "AuthenticatedAuthorization"\n[admin.authorization.regex_acl]\nacls = [{ role = "a", allowed_endpoints = ".*" }]\n', 'admin.authorization.regex_acl.acls[0].allowed_endpoints');
  });

  test('an identity provider needs exactly one key source', () => {
    fails('[admin]\nauthorization_mode = "AuthenticatedAuthorization"\n[admin.authentication.bearer_jwt]\nidentity_providers = [{ issuer = "x" }]\n', 'admin.authentication.bearer_jwt.identity_providers[0]');
  });

  test('invalid TOML is a ConfigError', () => {
    assert.throws(() => load('[http_server\n'), ConfigError);
  });

  test('a missing file is a ConfigError', () => {
    assert.throws(() => loadConfig({ file: join(CWD, 'nope.toml') }), ConfigError);
  });

  test('mutated fixtures load or fail only with ConfigError (fuzz)', () => {
    const texts = Object.keys(EXPECT).map((f) => fixtureText(`kbs-configs/${f}`));
    fc.assert(
      fc.property(fc.constantFrom(...texts), fc.nat(), fc.integer({ min: 32, max: 126 }), (text, pos, ch) => {
        const i = pos % text.length;
        const mutated = text.slice(0, i) + String.fromCharCode(ch) + text.slice(i + 1);
        try {
          load(mutated);
        } catch (e) {
          return e instanceof ConfigError;
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });
});

describe('legacy [admin] forms', () => {
  test('v0.16–v0.20 Simple personas become providers granting role admin', () => {
    const c = load('[admin]\ntype = "Simple"\npersonas = [{ id = "a", public_key_path = "/k/a.pem" }]\n');
    assert.deepEqual(c.admin, {
      mode: 'AuthenticatedAuthorization',
      identityProviders: [{ publicKeyUri: '/k/a.pem', legacyRole: 'admin' }],
      acls: [{ role: 'admin', allowedEndpoints: '^/kbs/.+$' }],
    });
    assert.deepEqual(load('[admin]\ntype = "DenyAll"\n').admin, { mode: 'DenyAll' });
  });

  test('≤ v0.15 insecure_api and auth_public_key', () => {
    assert.deepEqual(load('[admin]\ninsecure_api = true\n').admin, { mode: 'InsecureAllowAll' });
    const c = load('[admin]\nauth_public_key = "/k/admin.pem"\n');
    assert.equal(c.admin.mode, 'AuthenticatedAuthorization');
  });

  test('mixing legacy and current keys is refused', () => {
    fails('[admin]\ntype = "DenyAll"\nauthorization_mode = "DenyAll"\n', 'admin.authorization_mode');
  });

  test('attestation_token.insecure_key is the old name of insecure_header_jwk', () => {
    assert.equal(load('[attestation_token]\ninsecure_key = true\n').attestationToken.insecureHeaderJwk, true);
  });
});

describe('parseTrusteeArgs', () => {
  test('reads the server flags', () => {
    const a = parseTrusteeArgs(['-c', 'k.toml', '--port', '0', '--data-dir', 'd', '--storage', 'postgres', '--insecure-http']);
    assert.deepEqual(a, { file: 'k.toml', help: false, overrides: { port: 0, dataDir: 'd', storage: 'postgres', insecureHttp: true } });
  });

  test('accepts --config as the name of the config file too', () => {
    assert.equal(parseTrusteeArgs(['--config', 'k.toml']).file, 'k.toml');
    assert.throws(() => parseTrusteeArgs(['--config', 'a', '--config-file', 'b']), ConfigError);
  });

  test('refuses unknown flags and bad values', () => {
    assert.throws(() => parseTrusteeArgs(['--prot', '1']), ConfigError);
    assert.throws(() => parseTrusteeArgs(['--port', 'http']), ConfigError);
    assert.throws(() => parseTrusteeArgs(['--storage', 'redis']), ConfigError);
  });

  test('reads --workers as a count from 1 to 1024', () => {
    assert.deepEqual(parseTrusteeArgs(['--workers', '4']).overrides, { workers: 4 });
    assert.equal(parseTrusteeArgs(['--workers', '1024']).overrides.workers, 1024);
    for (const bad of ['0', '1025', '3x', '', '0x2', '+2']) {
      assert.throws(() => parseTrusteeArgs(['--workers', bad]), (e: unknown) => e instanceof ConfigError && e.key === '--workers', bad);
    }
  });
});

describe('kbs.audit_successes', () => {
  test('defaults to false and reads true or false', () => {
    assert.equal(load('').auditSuccesses, false);
    assert.equal(load('[kbs]\naudit_successes = true\n').auditSuccesses, true);
    assert.equal(load('[kbs]\naudit_successes = false\n').auditSuccesses, false);
  });
  test('refuses a value that is not a boolean', () => {
    fails('[kbs]\naudit_successes = "yes"\n', 'kbs.audit_successes');
    fails('[kbs]\naudit_successes = 1\n', 'kbs.audit_successes');
  });
  test('reaches the Trustee options', () => {
    assert.equal(trusteeOptionsFromConfig(load('[kbs]\naudit_successes = true\n')).auditSuccesses, true);
    assert.equal(trusteeOptionsFromConfig(load('')).auditSuccesses, false);
  });
});
