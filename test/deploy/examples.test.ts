/**
 * The Kubernetes manifests in deploy/examples: valid against the pinned Kubernetes/KServe schema
 * subset, confidential (kata-remote, initdata annotation, memory-backed key volumes) and
 * consistent (sealed secrets verify, annotations decode to deploy/examples/initdata.toml).
 */
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { parseInitData } from '../../src/protocol/index.js';
import { REPO_ROOT } from '../support/fixtures.js';
import { loadK8sSchema, validateK8sObject } from '../support/k8s-schema.js';

const EXAMPLES = join(REPO_ROOT, 'deploy', 'examples');
const ANNOTATION = 'io.katacontainers.config.hypervisor.cc_init_data';

type Obj = Record<string, any>;

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? yamlFiles(join(dir, e.name)) : e.name.endsWith('.yaml') ? [join(dir, e.name)] : [],
  );
}

const objects: { file: string; obj: Obj }[] = yamlFiles(EXAMPLES).flatMap((f) =>
  parseAllDocuments(readFileSync(f, 'utf8')).map((d) => ({ file: relative(EXAMPLES, f), obj: d.toJS() as Obj })),
);
const schema = loadK8sSchema();

/** The pod template (metadata + spec) of a workload object, if it has one. */
function podOf(o: Obj): { metadata: Obj; spec: Obj } | undefined {
  if (o.kind === 'Pod') return { metadata: o.metadata, spec: o.spec };
  if (o.kind === 'Job' || o.kind === 'Deployment') return o.spec.template;
  if (o.kind === 'InferenceService') return { metadata: o.metadata, spec: o.spec.predictor };
  return undefined;
}

describe('validateK8sObject', () => {
  test('finds misspelt fields, wrong types, missing required fields and bad enum values', () => {
    const job = objects.find((o) => o.obj.kind === 'Job')!.obj;
    const broken = structuredClone(job);
    broken.spec.template.spec.runtimeClasName = 'kata-remote';
    broken.spec.backoffLimit = 'zero';
    delete broken.spec.template.spec.containers[0].name;
    broken.spec.template.spec.volumes[0].emptyDir.medium = 'Tmpfs';
    const errors = validateK8sObject(broken, schema).join('\n');
    assert.match(errors, /runtimeClasName: unknown field/);
    assert.match(errors, /backoffLimit: expected integer/);
    assert.match(errors, /containers\[0\]\.name: required/);
    assert.match(errors, /medium: "Tmpfs" not in/);
    assert.deepEqual(validateK8sObject({ apiVersion: 'v9', kind: 'Nope' }, schema), ['$: no pinned schema for apiVersion v9 kind Nope']);
  });
});

describe('deploy/examples', () => {
  test('contains the workload kinds both seeds need', () => {
    const kinds = objects.map((o) => o.obj.kind).sort();
    for (const k of ['ClusterStorageContainer', 'Deployment', 'InferenceService', 'Job', 'Secret']) assert.ok(kinds.includes(k), k);
  });

  for (const { file, obj } of objects) {
    test(`${file} (${obj.kind} ${obj.metadata?.name}) is valid against the pinned schema`, () => {
      assert.deepEqual(validateK8sObject(obj, schema), []);
    });
  }

  test('every workload runs on kata-remote with the initdata annotation of deploy/examples/initdata.toml', () => {
    const toml = readFileSync(join(EXAMPLES, 'initdata.toml'));
    parseInitData(toml.toString('utf8'));
    let n = 0;
    for (const { file, obj } of objects) {
      const pod = podOf(obj);
      if (!pod) continue;
      n++;
      assert.equal(pod.spec.runtimeClassName, 'kata-remote', file);
      const value = obj.kind === 'InferenceService' ? obj.metadata.annotations[ANNOTATION] : pod.metadata.annotations[ANNOTATION];
      assert.deepEqual(gunzipSync(Buffer.from(value, 'base64')), toml, file);
    }
    assert.equal(n, 3);
  });

  test('keys and decrypted data live only in memory-backed volumes', () => {
    for (const { file, obj } of objects) {
      const pod = podOf(obj);
      if (!pod?.spec.volumes) continue;
      for (const name of ['keys', 'scratch', 'models']) {
        const v: Obj | undefined = (pod.spec.volumes as Obj[]).find((x) => x.name === name);
        if (v) assert.equal(v.emptyDir?.medium, 'Memory', `${file}: volume ${name}`);
      }
    }
  });

  test('every secretKeyRef names a Secret whose value is a sealed secret signed by the example key', () => {
    const jwk = JSON.parse(readFileSync(join(EXAMPLES, 'sealed-secret-signing-key.pub.json'), 'utf8'));
    const pub = createPublicKey({ key: jwk, format: 'jwk' });
    const secrets = new Map(objects.filter((o) => o.obj.kind === 'Secret').map((o) => [`${o.obj.metadata.namespace}/${o.obj.metadata.name}`, o.obj]));
    let refs = 0;
    for (const { file, obj } of objects) {
      const pod = podOf(obj);
      if (!pod) continue;
      const containers: Obj[] = [...(pod.spec.initContainers ?? []), ...(pod.spec.containers ?? []), ...(pod.spec.model ? [pod.spec.model] : [])];
      for (const env of containers.flatMap((c) => c.env ?? []) as Obj[]) {
        const ref = env.valueFrom?.secretKeyRef;
        if (!ref) continue;
        refs++;
        const secret = secrets.get(`${obj.metadata.namespace}/${ref.name}`);
        assert.ok(secret, `${file}: secret ${ref.name} not defined`);
        const value: string = secret.stringData[ref.key];
        assert.match(value, /^sealed\.[\w-]+\.[\w-]+\.[\w-]+$/);
        const [, h, p, s] = value.split('.');
        assert.equal(JSON.parse(Buffer.from(h!, 'base64url').toString()).alg, 'ES256');
        const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
        assert.equal(payload.version, '0.1.0');
        assert.equal(payload.type, 'vault');
        assert.match(payload.name, /^kbs:\/\/\/[^/]+\/[^/]+\/[^/]+$/);
        assert.ok(verify('sha256', Buffer.from(`${h}.${p}`), { key: pub, dsaEncoding: 'ieee-p1363' }, Buffer.from(s!, 'base64url')), `${file}: signature`);
      }
    }
    assert.ok(refs >= 3);
  });

  test('the InferenceService storage URI is served by the coco storage container', () => {
    const isvc = objects.find((o) => o.obj.kind === 'InferenceService')!.obj;
    const csc = objects.find((o) => o.obj.kind === 'ClusterStorageContainer')!.obj;
    const uri: string = isvc.spec.predictor.model.storageUri;
    assert.ok((csc.spec.supportedUriFormats as Obj[]).some((f) => f.prefix && uri.startsWith(f.prefix)));
    assert.deepEqual(csc.spec.container.command, ['coco', 'guest', 'model-fetch']);
  });
});
