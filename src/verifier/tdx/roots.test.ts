import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, test } from 'node:test';
import { INTEL_SGX_ROOT_CA_PEM, INTEL_TCB_SIGNING_PEM } from './roots.js';

describe('INTEL_SGX_ROOT_CA_PEM', () => {
  test('is the Intel SGX Root CA pinned by its SHA-256 fingerprint', () => {
    const root = new X509Certificate(INTEL_SGX_ROOT_CA_PEM.trim());
    assert.equal(root.fingerprint256, '44:A0:19:6B:2B:99:F8:89:B8:E1:49:E9:5B:80:7A:35:0E:74:24:96:43:99:E8:85:A7:CB:B8:CC:FA:B6:74:D3');
    assert.match(root.subject, /CN=Intel SGX Root CA/);
    assert.ok(root.verify(root.publicKey), 'self-signed');
  });
});

describe('INTEL_TCB_SIGNING_PEM', () => {
  test('is issued and signed by the embedded root', () => {
    const root = new X509Certificate(INTEL_SGX_ROOT_CA_PEM.trim());
    const tcb = new X509Certificate(INTEL_TCB_SIGNING_PEM.trim());
    assert.equal(tcb.fingerprint256, 'C0:57:5E:76:D0:30:3B:61:D0:9C:DE:8C:BD:B7:0D:B3:4A:74:F3:83:18:30:0D:7C:0E:6B:A8:CF:4B:F4:5A:EA');
    assert.ok(tcb.checkIssued(root) && tcb.verify(root.publicKey));
  });
});
