import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { MalformedInput } from '../../core/index.js';
import { requireTools } from '../../../test/support/system-tools.js';
import { crlSignedBy, parseCrl, serialKey } from './crl.js';

const skip = requireTools('openssl');

describe('parseCrl', { skip }, () => {
  let dir = '';
  let ca: X509Certificate;
  let other: X509Certificate;
  let crlDer: Uint8Array;
  let crlPem: Uint8Array;
  const revokedSerial = '0A1B2C3D';

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tdx-crl-'));
    const run = (...args: string[]) => {
      const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
    };
    for (const n of ['ca', 'other']) {
      run('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${n}.key`);
      run('req', '-x509', '-new', '-key', `${n}.key`, '-subj', `/CN=Test ${n}`, '-days', '30', '-out', `${n}.pem`);
    }
    writeFileSync(join(dir, 'index.txt'), `R\t351231000000Z\t250101000000Z\t${revokedSerial}\tunknown\t/CN=leaf\n`);
    writeFileSync(join(dir, 'crlnumber'), '07\n');
    writeFileSync(
      join(dir, 'ca.cnf'),
      `[ca]\ndefault_ca=d\n[d]\ndatabase=${dir}/index.txt\ncrlnumber=${dir}/crlnumber\ndefault_md=sha256\ndefault_crl_days=30\ncrl_extensions=e\n[e]\n`,
    );
    run('ca', '-config', 'ca.cnf', '-gencrl', '-keyfile', 'ca.key', '-cert', 'ca.pem', '-out', 'crl.pem');
    run('crl', '-in', 'crl.pem', '-outform', 'DER', '-out', 'crl.der');
    ca = new X509Certificate(readFileSync(join(dir, 'ca.pem')));
    other = new X509Certificate(readFileSync(join(dir, 'other.pem')));
    crlDer = new Uint8Array(readFileSync(join(dir, 'crl.der')));
    crlPem = new Uint8Array(readFileSync(join(dir, 'crl.pem')));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('reads the CRL number, the update window and the revoked serials of a DER CRL', () => {
    const crl = parseCrl(crlDer);
    assert.equal(crl.crlNumber, 7);
    assert.ok(crl.revoked.has(serialKey(revokedSerial)));
    assert.ok(crl.nextUpdate && crl.nextUpdate > crl.thisUpdate);
  });

  test('accepts the same CRL as PEM', () => {
    assert.deepEqual([...parseCrl(crlPem).revoked], [...parseCrl(crlDer).revoked]);
  });

  test('verifies the issuer signature and rejects another key and a flipped byte', () => {
    assert.equal(crlSignedBy(parseCrl(crlDer), ca.publicKey), true);
    assert.equal(crlSignedBy(parseCrl(crlDer), other.publicKey), false);
    const bad = crlDer.slice();
    bad[bad.length - 40] ^= 1;
    assert.equal(crlSignedBy(parseCrl(bad), ca.publicKey), false);
  });

  test('rejects truncated input as MalformedInput', () => {
    assert.throws(() => parseCrl(crlDer.subarray(0, crlDer.length - 3)), MalformedInput);
    assert.throws(() => parseCrl(new TextEncoder().encode('-----BEGIN NOTHING-----')), MalformedInput);
  });

  test('every truncation of the DER and of the PEM form is MalformedInput', () => {
    for (let n = 0; n < crlDer.length; n++) assert.throws(() => parseCrl(crlDer.subarray(0, n)), MalformedInput, `DER length ${n}`);
    fc.assert(
      fc.property(fc.nat(crlPem.length - 30), (n) => {
        assert.throws(() => parseCrl(crlPem.subarray(0, n)), MalformedInput);
      }),
      { numRuns: 200 },
    );
  });

  test('a byte flip gives MalformedInput, or a CRL whose signature fails whenever the signed part changed', () => {
    const base = parseCrl(crlDer);
    fc.assert(
      fc.property(fc.nat(crlDer.length - 1), fc.integer({ min: 1, max: 255 }), (i, x) => {
        const b = crlDer.slice();
        b[i]! ^= x;
        let crl;
        try {
          crl = parseCrl(b);
        } catch (e) {
          assert.ok(e instanceof MalformedInput, String(e));
          return;
        }
        // Whatever changed the signed tbsCertList must break the signature.
        if (Buffer.compare(Buffer.from(crl.tbs), Buffer.from(base.tbs)) !== 0) assert.equal(crlSignedBy(crl, ca.publicKey), false);
      }),
      { numRuns: 300 },
    );
  });
});
