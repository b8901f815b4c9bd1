import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encodeInitDataAnnotation } from '../protocol/index.js';
import { loadGuestConfig, parseConfigDocument, readInitDataText } from './config.js';

const INITDATA = `version = "0.1.0"
algorithm = "sha384"
[data]
"aa.toml" = '''
[token_configs.kbs]
url = "http://kbs-from-initdata:8080"
'''
"cdh.toml" = '''
socket = 'unix:///run/confidential-containers/cdh.sock'
[kbc]
name = 'cc_kbc'
url = 'http://kbs-from-initdata:8080'
[[credentials]]
resource_uri = "kbs:///default/cred/aws"
path = "/run/confidential-containers/cdh/kbs/aws.json"
'''
`;

function files(map: Record<string, string>) {
  return async (p: string) => {
    const v = map[p];
    if (v === undefined) throw new Error(`no file ${p}`);
    return v;
  };
}

describe('loadGuestConfig', () => {
  test('takes the KBS URL and credentials from the initdata aa.toml / cdh.toml', async () => {
    const c = await loadGuestConfig({ initdata: '/i.toml' }, files({ '/i.toml': INITDATA }));
    assert.equal(c.kbsUrl, 'http://kbs-from-initdata:8080');
    assert.equal(c.initDataToml, INITDATA);
    assert.deepEqual(c.credentials, [{ resourceUri: 'kbs:///default/cred/aws', path: '/run/confidential-containers/cdh/kbs/aws.json' }]);
    assert.equal(c.attester, 'auto');
    assert.deepEqual(c.listen, { host: '127.0.0.1', port: 8006 });
  });

  test('lets flags win over the config file, which wins over initdata', async () => {
    const fsMap = {
      '/i.toml': INITDATA,
      '/guest.toml': 'kbs-url = "http://from-file:1"\nattester = "sample"\n[eventlog_config]\nenable_eventlog = true\ninit_pcr = 23\n[token_configs.kbs]\ntee_key_algorithm = "RSA-OAEP-256"\n',
      '/ca.pem': '-----BEGIN CERTIFICATE-----\n',
    };
    const c = await loadGuestConfig({ config: '/guest.toml', initdata: '/i.toml', 'kbs-ca': '/ca.pem' }, files(fsMap));
    assert.equal(c.kbsUrl, 'http://from-file:1');
    assert.equal(c.attester, 'sample');
    assert.deepEqual(c.eventlog, { enabled: true, initPcr: 23 });
    assert.equal(c.teeKeyAlgorithm, 'RSA-OAEP-256');
    assert.equal(c.kbsCaPem, '-----BEGIN CERTIFICATE-----\n');
    const c2 = await loadGuestConfig({ config: '/guest.toml', 'kbs-url': 'https://flag:2/' }, files(fsMap));
    assert.equal(c2.kbsUrl, 'https://flag:2');
  });

  test('accepts a JSON config file and the initdata annotation value', async () => {
    const c = await loadGuestConfig({ config: '/g.json', initdata: '/anno' }, files({ '/g.json': '{"tpm":"127.0.0.1:2321","attester":"tpm"}', '/anno': encodeInitDataAnnotation(INITDATA) }));
    assert.equal(c.tpm, '127.0.0.1:2321');
    assert.equal(c.initDataToml, INITDATA);
  });

  test('refuses bad values with ConfigError or MalformedInput naming the key', async () => {
    const read = files({ '/bad-init': 'version = "0.1.0"\nalgorithm = "md5"\n', '/bad.toml': '[kbc]\nname = "offline_fs_kbc"\n' });
    await assert.rejects(loadGuestConfig({ attester: 'sgx' }, read), { code: 'ERR_UNSUPPORTED' });
    await assert.rejects(loadGuestConfig({ 'kbs-url': 'kbs.example' }, read), { key: 'kbs-url' });
    await assert.rejects(loadGuestConfig({ listen: 'nope' }, read), { key: 'listen' });
    await assert.rejects(loadGuestConfig({ initdata: '/bad-init' }, read), { where: 'initdata.algorithm' });
    await assert.rejects(loadGuestConfig({ config: '/bad.toml' }, read), { key: 'kbc.name' });
  });
});

describe('parseConfigDocument', () => {
  test('rejects wrong types in upstream sections', () => {
    assert.throws(() => parseConfigDocument({ eventlog_config: { enable_eventlog: 'yes' } }), { where: 'eventlog_config.enable_eventlog' });
    assert.throws(() => parseConfigDocument({ eventlog_config: { init_pcr: 40 } }), { key: 'eventlog_config.init_pcr' });
    assert.throws(() => parseConfigDocument({ credentials: [{ path: '/x' }] }), { where: 'credentials[0].resource_uri' });
    assert.throws(() => parseConfigDocument({ token_configs: { kbs: { tee_key_algorithm: 'RSA1_5' } } }), { code: 'ERR_CONFIG' });
  });
});

describe('readInitDataText', () => {
  test('keeps the exact TOML bytes and rejects text that is neither TOML nor an annotation', () => {
    assert.equal(readInitDataText(INITDATA).toml, INITDATA);
    assert.throws(() => readInitDataText('not = [valid'), { code: 'ERR_MALFORMED_INPUT' });
  });
});
