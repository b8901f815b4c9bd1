import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import { MalformedInput, NotFound, utf8 } from '../../core/index.js';
import { MemoryStore } from '../storage/memory.js';
import { SqliteStore } from '../storage/sqlite.js';
import { regoPolicyEngine } from '../rego-engine.js';
import type { CompiledPolicy, PolicyEngine } from './policy-engine.js';
import { PolicyStore, parsePolicyId } from './policy.js';

const allow = (v: boolean) => `package policy
import rego.v1
default allow := ${v}
`;

/** The real engine, counting compilations. */
function countingEngine(): PolicyEngine & { compiles: number } {
  const engine = {
    compiles: 0,
    compile(modules: Record<string, string>, options?: Parameters<PolicyEngine['compile']>[1]): CompiledPolicy {
      engine.compiles++;
      return regoPolicyEngine.compile(modules, options);
    },
  };
  return engine;
}

describe('PolicyStore.get', () => {
  test('compiles an unchanged policy once however often it is read', async () => {
    const engine = countingEngine();
    const p = new PolicyStore(new MemoryStore(), 'kbs', engine);
    await p.seed('resource-policy', allow(true));
    for (let i = 0; i < 5; i++) assert.equal((await p.get('resource-policy')).evalJson('data.policy.allow', {}), true);
    assert.equal(engine.compiles, 1);
  });

  test('sees a policy another replica wrote into the shared store on the next read', async () => {
    const shared = new MemoryStore();
    const here = new PolicyStore(shared, 'kbs', regoPolicyEngine);
    const there = new PolicyStore(shared, 'kbs', regoPolicyEngine);
    await here.set('resource-policy', allow(true));
    assert.equal((await here.get('resource-policy')).evalJson('data.policy.allow', {}), true);
    await there.set('resource-policy', allow(false));
    assert.equal((await here.get('resource-policy')).evalJson('data.policy.allow', {}), false);
    // A write straight into storage (another implementation sharing it) is seen too.
    await shared.set('kbs', 'resource-policy.rego', utf8(allow(true)));
    assert.equal((await here.get('resource-policy')).evalJson('data.policy.allow', {}), true);
  });

  test('on SQLite, reads the policy text again only after something was written, here or by another process', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coco-policy-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'kbs.sqlite');
    // Other connections' writes are looked for at most once per millisecond of this clock.
    let clock = 1_000_000;
    const store = new SqliteStore({ path, now: () => clock });
    const other = new SqliteStore({ path }); // another replica's connection to the same file
    let reads = 0;
    const get = store.get.bind(store);
    store.get = (ns, key) => (reads++, get(ns, key));
    try {
      const here = new PolicyStore(store, 'kbs', regoPolicyEngine);
      await here.set('resource-policy', allow(true));
      for (let i = 0; i < 5; i++) assert.equal((await here.get('resource-policy')).evalJson('data.policy.allow', {}), true);
      assert.equal(reads, 1, 'read once, then known unchanged');
      await new PolicyStore(other, 'kbs', regoPolicyEngine).set('resource-policy', allow(false));
      // Within the same millisecond the text read last is still used; a millisecond later it is read again.
      assert.equal((await here.get('resource-policy')).evalJson('data.policy.allow', {}), true);
      clock += 1;
      assert.equal((await here.get('resource-policy')).evalJson('data.policy.allow', {}), false);
      assert.equal(reads, 2);
      await store.set('audit', 'unrelated', utf8('{}')); // any write makes the next call look again
      assert.equal((await here.get('resource-policy')).evalJson('data.policy.allow', {}), false);
      assert.equal((await here.get('resource-policy')).evalJson('data.policy.allow', {}), false);
      assert.equal(reads, 3);
      await other.delete('kbs', 'resource-policy.rego');
      clock += 1;
      await assert.rejects(here.get('resource-policy'), NotFound);
    } finally {
      await store.close();
      await other.close();
    }
  });

  test('keeps policies of different ids apart', async () => {
    const p = new PolicyStore(new MemoryStore(), 'attestation_service_policy', regoPolicyEngine);
    await p.set('a', allow(true));
    await p.set('b', allow(false));
    assert.equal((await p.get('a')).evalJson('data.policy.allow', {}), true);
    assert.equal((await p.get('b')).evalJson('data.policy.allow', {}), false);
    assert.equal((await p.get('a')).evalJson('data.policy.allow', {}), true);
  });

  test('throws NotFound for a missing or deleted policy, even after it was read once', async () => {
    const shared = new MemoryStore();
    const p = new PolicyStore(shared, 'kbs', regoPolicyEngine);
    await assert.rejects(p.get('nope'), NotFound);
    await p.set('gone', allow(true));
    await p.get('gone');
    await shared.delete('kbs', 'gone.rego');
    await assert.rejects(p.get('gone'), NotFound);
  });

  test('refuses an invalid id before touching storage', async () => {
    const p = new PolicyStore(new MemoryStore(), 'kbs', regoPolicyEngine);
    await assert.rejects(p.get('../x'), MalformedInput);
  });
});

describe('parsePolicyId', () => {
  test('accepts exactly 1-128 of [A-Za-z0-9_.-] not starting with a dot', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 140 }), (id) => {
        const ok = /^[A-Za-z0-9_.-]{1,128}$/.test(id) && !id.startsWith('.');
        if (ok) assert.equal(parsePolicyId(id), id);
        else assert.throws(() => parsePolicyId(id), MalformedInput);
      }),
    );
    assert.throws(() => parsePolicyId('a'.repeat(129)), MalformedInput);
    assert.throws(() => parsePolicyId('.hidden'), MalformedInput);
    assert.throws(() => parsePolicyId('a/b'), MalformedInput);
    assert.equal(parsePolicyId('default_cpu'), 'default_cpu');
  });
});
