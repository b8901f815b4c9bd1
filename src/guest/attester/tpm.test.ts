import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startSwtpm } from '../../../test/support/swtpm.js';
import { requireTools } from '../../../test/support/system-tools.js';
import { ByteReader, concatBytes, digest, fromBase64, fromHex, toHex } from '../../core/index.js';
import { pcr8AfterInitData } from '../../protocol/index.js';
import { createVerifier } from '../../verifier/index.js';
import { tpmAttester } from './tpm.js';

interface TpmEvidence {
  tpm_quote: { signature: string; message: string; pcrs: string[] };
  ak_public: string;
}
import { pcrRead } from './tpm/commands.js';
import { openTpm, type TpmTransport } from './tpm/transport.js';

const skip = requireTools('swtpm');

/** Independent reading of TPMS_ATTEST (TPM 2.0 Part 2 §10.12.12) for the checks below. */
function readQuote(message: Uint8Array) {
  const r = new ByteReader(message, 'TPMS_ATTEST');
  const magic = r.u32be();
  const type = r.u16be();
  r.bytesN(r.u16be()); // qualifiedSigner
  const extraData = r.bytesN(r.u16be());
  r.skip(17 + 8); // clockInfo, firmwareVersion
  const banks = r.u32be();
  const hash = r.u16be();
  const sel = r.bytesN(r.u8());
  const pcrDigest = r.bytesN(r.u16be());
  return { magic, type, extraData, banks, hash, sel, pcrDigest };
}

describe('tpmAttester (swtpm)', { skip }, () => {
  let tpm: { spec: string; stop: () => Promise<void> };
  let transport: TpmTransport;
  before(async () => {
    tpm = await startSwtpm();
    transport = await openTpm(tpm.spec);
  });
  after(async () => {
    await transport?.close();
    await tpm?.stop();
  });

  test('produces a quote over PCRs 0-23 signed by the AK and bound to the report data', async () => {
    const a = await tpmAttester({ transport });
    const rd = digest('sha384', new Uint8Array([1, 2, 3]));
    const ev = (await a.getEvidence(rd)) as TpmEvidence;
    assert.deepEqual(Object.keys(ev).sort(), ['ak_public', 'tpm_quote']);
    assert.deepEqual(Object.keys(ev.tpm_quote).sort(), ['message', 'pcrs', 'signature']);
    assert.equal(ev.tpm_quote.pcrs.length, 24);
    const msg = fromBase64(ev.tpm_quote.message);
    const q = readQuote(msg);
    assert.equal(q.magic, 0xff544347);
    assert.equal(q.type, 0x8018);
    assert.equal(toHex(q.extraData), toHex(rd.subarray(0, 32)));
    assert.deepEqual([q.banks, q.hash, toHex(q.sel)], [1, 0x000b, 'ffffff']);
    assert.equal(toHex(q.pcrDigest), toHex(digest('sha256', concatBytes(...ev.tpm_quote.pcrs.map((p) => fromHex(p))))));
    const sig = new ByteReader(fromBase64(ev.tpm_quote.signature), 'TPMT_SIGNATURE');
    assert.equal(sig.u16be(), 0x0014);
    assert.equal(sig.u16be(), 0x000b);
    const s = sig.bytesN(sig.u16be());
    const ak = createPublicKey({ key: Buffer.from(fromBase64(ev.ak_public)), format: 'der', type: 'spki' });
    assert.equal(ak.asymmetricKeyType, 'rsa');
    assert.ok(verify('sha256', msg, ak, s));
    const tampered = msg.slice();
    tampered[40]! ^= 1;
    assert.ok(!verify('sha256', tampered, ak, s));
  });

  test('keeps the same persistent AK across attester instances', async () => {
    const a = (await (await tpmAttester({ transport })).getEvidence(new Uint8Array(32))) as TpmEvidence;
    const b = (await (await tpmAttester({ transport })).getEvidence(new Uint8Array(32))) as TpmEvidence;
    assert.equal(a.ak_public, b.ak_public);
  });

  test('binds initdata by extending PCR 8 to SHA-256(0^32 ‖ digest[:32])', async () => {
    const a = await tpmAttester({ transport });
    const d = digest('sha384', new TextEncoder().encode('version = "0.1.0"\n'));
    assert.equal((await pcrRead(transport, [8])).get(8)!.every((b) => b === 0), true);
    assert.equal(await a.bindInitData(d), 'bound');
    assert.equal(toHex((await pcrRead(transport, [8])).get(8)!), toHex(pcr8AfterInitData(d)));
    // Binding again (a second fetch in the same VM) leaves PCR 8 alone; other initdata is refused.
    assert.equal(await a.bindInitData(d), 'bound');
    assert.equal(toHex((await pcrRead(transport, [8])).get(8)!), toHex(pcr8AfterInitData(d)));
    await assert.rejects(a.bindInitData(digest('sha384', Uint8Array.of(9))), { check: 'tpm.init_data' });
    const rd = digest('sha384', Uint8Array.of(5));
    const ev = (await a.getEvidence(rd)) as TpmEvidence;
    assert.equal(ev.tpm_quote.pcrs[8], toHex(pcr8AfterInitData(d)));
    // The project's tpm verifier accepts it with both bindings, and refuses another init-data digest.
    const v = createVerifier('tpm');
    const res = await v.evaluate(ev, { reportData: rd, initDataDigest: d }, new Date());
    assert.equal(res.claims.init_data, toHex(pcr8AfterInitData(d)));
    assert.equal(res.claims.ak_public, ev.ak_public);
    await assert.rejects(v.evaluate(ev, { reportData: rd, initDataDigest: digest('sha384', Uint8Array.of(6)) }, new Date()), { check: 'tpm.init_data' });
    await assert.rejects(v.evaluate(ev, { reportData: digest('sha384', Uint8Array.of(6)) }, new Date()), { check: 'tpm.nonce' });
  });

  test('explains that PCR 17 needs locality 4, and carries the AAEL beside the quote', async () => {
    const aael = Uint8Array.of(1, 2, 3);
    const a = await tpmAttester({ transport, readAael: async () => aael });
    await assert.rejects(a.extendRuntimeMeasurement!(new Uint8Array(32), 17), (e: any) => e.code === 'ERR_UNSUPPORTED' && /init_pcr/.test(e.message));
    const ev = (await a.getEvidence(new Uint8Array(48))) as TpmEvidence & { aa_eventlog: string };
    assert.deepEqual(fromBase64(ev.aa_eventlog), aael);
    assert.ok(await createVerifier('tpm').evaluate(ev, {}, new Date()));
  });

  test('extends a runtime-measurement PCR', async () => {
    const a = await tpmAttester({ transport });
    const before = (await pcrRead(transport, [23])).get(23)!;
    const d = digest('sha256', new Uint8Array([9]));
    await a.extendRuntimeMeasurement!(d, 23);
    assert.equal(toHex((await pcrRead(transport, [23])).get(23)!), toHex(digest('sha256', concatBytes(before, d))));
  });
});
