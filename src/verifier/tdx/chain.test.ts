import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { VerificationFailed } from '../../core/index.js';
import { fixture } from '../../../test/support/fixtures.js';
import { requireTools } from '../../../test/support/system-tools.js';
import { CheckTrace } from '../common/check-trace.js';
import { toX509, verifyIntelChain } from './chain.js';
import { splitPemCertificates } from './pck.js';
import { parseTdQuote } from './quote.js';

const NOW = new Date();
/** An hour ahead: the test hierarchy below is created after NOW, with whole-second timestamps. */
const SOON = new Date(NOW.getTime() + 3600_000);
const failsWith = (fn: () => unknown, check: string) => assert.throws(fn, (e: unknown) => e instanceof VerificationFailed && e.check === check);

describe('verifyIntelChain (real PCK chains)', () => {
  const certs = toX509(splitPemCertificates(parseTdQuote(fixture('tdx/tdx_quote_4.dat')).pckChainPem), 'pck');

  test('accepts a real PCK chain at a time inside every validity window', () => {
    const t = new CheckTrace();
    const r = verifyIntelChain(certs, new Date('2026-06-01T00:00:00Z'), t, 'x');
    assert.deepEqual(t.records.map((c) => c.id), ['x', 'x.validity']);
    assert.equal(r.validity.length, 3);
  });

  test('refuses a chain whose intermediate is missing, and a chain in the wrong order', () => {
    failsWith(() => verifyIntelChain([certs[0]!, certs[2]!], NOW, new CheckTrace(), 'x'), 'x');
    failsWith(() => verifyIntelChain([certs[1]!, certs[0]!, certs[2]!], NOW, new CheckTrace(), 'x'), 'x');
  });

  test('refuses a chain that does not end at the trust anchor', () => {
    failsWith(() => verifyIntelChain(certs.slice(0, 2), NOW, new CheckTrace(), 'x'), 'x');
  });
});

describe('verifyIntelChain (CRLs, own test hierarchy)', { skip: requireTools('openssl') }, () => {
  let dir = '';
  let chain: X509Certificate[] = [];
  let root: X509Certificate;
  const crl = (name: string) => new Uint8Array(readFileSync(join(dir, name)));

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tdx-chain-'));
    const run = (...args: string[]) => {
      const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
    };
    const key = (n: string) => run('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${n}.key`);
    writeFileSync(join(dir, 'ext.cnf'), '[ca]\nbasicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,cRLSign\n[leaf]\nbasicConstraints=critical,CA:false\n');
    for (const n of ['root', 'inter', 'leaf', 'other']) key(n);
    run('req', '-x509', '-new', '-key', 'root.key', '-subj', '/CN=Test Root', '-days', '30', '-out', 'root.pem', '-addext', 'basicConstraints=critical,CA:true', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
    run('req', '-new', '-key', 'inter.key', '-subj', '/CN=Test Inter', '-out', 'inter.csr');
    run('x509', '-req', '-in', 'inter.csr', '-CA', 'root.pem', '-CAkey', 'root.key', '-set_serial', '0x11', '-days', '30', '-extfile', 'ext.cnf', '-extensions', 'ca', '-out', 'inter.pem');
    run('req', '-new', '-key', 'leaf.key', '-subj', '/CN=Test Leaf', '-out', 'leaf.csr');
    run('x509', '-req', '-in', 'leaf.csr', '-CA', 'inter.pem', '-CAkey', 'inter.key', '-set_serial', '0x2A2B', '-days', '30', '-extfile', 'ext.cnf', '-extensions', 'leaf', '-out', 'leaf.pem');
    const gencrl = (ca: string, keyName: string, revoked: string[], out: string) => {
      const idx = revoked.map((s) => `R\t351231000000Z\t250101000000Z\t${s}\tunknown\t/CN=x\n`).join('');
      writeFileSync(join(dir, `${out}.idx`), idx);
      writeFileSync(join(dir, `${out}.num`), '01\n');
      writeFileSync(join(dir, `${out}.cnf`), `[ca]\ndefault_ca=d\n[d]\ndatabase=${dir}/${out}.idx\ncrlnumber=${dir}/${out}.num\ndefault_md=sha256\ndefault_crl_days=7\n`);
      run('ca', '-config', `${out}.cnf`, '-gencrl', '-keyfile', `${keyName}.key`, '-cert', `${ca}.pem`, '-out', `${out}.pem`);
      run('crl', '-in', `${out}.pem`, '-outform', 'DER', '-out', `${out}.der`);
    };
    gencrl('inter', 'inter', [], 'inter-empty');
    gencrl('inter', 'inter', ['2A2B'], 'inter-revokes-leaf');
    gencrl('root', 'root', ['11'], 'root-revokes-inter');
    gencrl('root', 'root', [], 'root-empty');
    run('req', '-x509', '-new', '-key', 'other.key', '-subj', '/CN=Test Inter', '-days', '30', '-out', 'impostor.pem');
    gencrl('impostor', 'other', [], 'forged');
    chain = ['leaf', 'inter', 'root'].map((n) => new X509Certificate(readFileSync(join(dir, `${n}.pem`))));
    root = chain[2]!;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('passes with current CRLs that revoke nothing and reports their numbers', () => {
    const t = new CheckTrace();
    const r = verifyIntelChain(chain, SOON, t, 'x', { leafCrl: crl('inter-empty.der'), rootCrl: crl('root-empty.der') }, false, root);
    assert.equal(r.leafCrl?.crlNumber, 1);
    assert.equal(t.records.filter((c) => c.id === 'x.crl' && c.ok).length, 2);
  });

  test('refuses a revoked leaf and a revoked intermediate (x.crl)', () => {
    failsWith(() => verifyIntelChain(chain, SOON, new CheckTrace(), 'x', { leafCrl: crl('inter-revokes-leaf.der') }, false, root), 'x.crl');
    failsWith(() => verifyIntelChain(chain, SOON, new CheckTrace(), 'x', { rootCrl: crl('root-revokes-inter.der') }, false, root), 'x.crl');
  });

  test('refuses a CRL not signed by the issuing CA and a CRL past its next update (x.crl)', () => {
    failsWith(() => verifyIntelChain(chain, SOON, new CheckTrace(), 'x', { leafCrl: crl('forged.der') }, false, root), 'x.crl');
    const later = new Date(SOON.getTime() + 10 * 86400_000);
    failsWith(() => verifyIntelChain(chain, later, new CheckTrace(), 'x', { leafCrl: crl('inter-empty.der') }, false, root), 'x.crl');
  });

  test('refuses certificates outside their validity (x.validity)', () => {
    failsWith(() => verifyIntelChain(chain, new Date(SOON.getTime() + 60 * 86400_000), new CheckTrace(), 'x', {}, false, root), 'x.validity');
  });
});
