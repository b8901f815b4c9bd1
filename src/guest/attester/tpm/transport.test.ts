import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import { startSwtpm } from '../../../../test/support/swtpm.js';
import { requireTools } from '../../../../test/support/system-tools.js';
import { pcrRead, startup } from './commands.js';
import { openTpm } from './transport.js';

async function fakeTpmServer(reply: (cmd: Buffer, sock: Socket) => void): Promise<{ spec: string; close: () => Promise<void> }> {
  const socks: Socket[] = [];
  const srv = createServer((s) => {
    socks.push(s);
    s.on('data', (d: Buffer) => reply(d, s));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    spec: `127.0.0.1:${(srv.address() as { port: number }).port}`,
    close: async () => {
      for (const s of socks) s.destroy();
      await new Promise<void>((r) => srv.close(() => r()));
    },
  };
}

describe('openTpm', () => {
  test('speaks to swtpm over a unix socket', { skip: requireTools('swtpm') }, async () => {
    const sw = await startSwtpm({ unix: true });
    try {
      const t = await openTpm(sw.spec);
      await startup(t);
      assert.equal((await pcrRead(t)).size, 24);
      await t.close();
    } finally {
      await sw.stop();
    }
  });

  test('reassembles a response split across TCP segments', async () => {
    const resp = Buffer.from('80010000000c00000000abcd', 'hex');
    const f = await fakeTpmServer((_c, s) => {
      s.write(resp.subarray(0, 3));
      setTimeout(() => s.write(resp.subarray(3)), 10);
    });
    try {
      const t = await openTpm(f.spec);
      assert.equal(Buffer.from(await t.transmit(Uint8Array.of(1))).toString('hex'), resp.toString('hex'));
      await t.close();
    } finally {
      await f.close();
    }
  });

  test('fails cleanly on an absurd size, a silent TPM, a closed socket and a missing device', async () => {
    const bogus = await fakeTpmServer((_c, s) => s.write(Buffer.from('8001ffffffff00000000', 'hex')));
    const silent = await fakeTpmServer(() => {});
    const closing = await fakeTpmServer((_c, s) => s.destroy());
    try {
      await assert.rejects((await openTpm(bogus.spec)).transmit(Uint8Array.of(1)), { code: 'ERR_LIMIT_EXCEEDED' });
      await assert.rejects((await openTpm(silent.spec, 100)).transmit(Uint8Array.of(1)), (e: any) => e.code === 'ERR_UNAVAILABLE' && /100 ms/.test(e.message));
      await assert.rejects((await openTpm(closing.spec)).transmit(Uint8Array.of(1)), { code: 'ERR_UNAVAILABLE' });
      await assert.rejects(openTpm('/nonexistent/tpmrm0'), { code: 'ERR_UNAVAILABLE' });
    } finally {
      await Promise.all([bogus.close(), silent.close(), closing.close()]);
    }
  });
});
