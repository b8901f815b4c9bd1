/**
 * TEST DOUBLE for the Rego engine, used only until `src/rego` lands in main: it recognises a fixed
 * set of policy texts (our defaults and the test policies in `trustee.ts`) and evaluates hand-written
 * JavaScript equivalents of them; any other text is refused as if it did not parse. The KBS and AS
 * plumbing is what the tests exercise; once the real engine lands, tests switch to it.
 */
import { MalformedInput } from '../../src/core/index.js';
import { DEFAULT_AS_POLICIES, DEFAULT_RESOURCE_POLICY } from '../../src/trustee/as/default-policies/index.js';
import type { CompiledPolicy, HostBuiltins, PolicyEngine } from '../../src/trustee/as/policy-engine.js';

export const ALLOW_RESOURCE_PLUGIN = `package policy
import rego.v1
default allow := false
allow if data.plugin == "resource"
`;
export const DENY_ALL = `package policy
import rego.v1
default allow := false
`;

type Rule = (input: any, data: any, rv: (id: string) => any) => unknown;
type Module = Record<string, Rule>;

const inList = (v: unknown, list: unknown) => Array.isArray(list) && list.some((x) => x === v);

const defaultCpu: Module = {
  'data.policy.trust_claims': (input, _d, rv) => {
    const s = input.sample;
    const claims = { executables: 33, hardware: 97, configuration: 36 };
    if (s) {
      if (inList(s.launch_digest, rv('launch_digest'))) claims.executables = 3;
      const major = rv('major_version');
      const minor = rv('minimum_minor_version');
      if (inList(s.svn, rv('svn')) && major !== undefined && s.platform_version?.major === major && minor !== undefined && s.platform_version?.minor >= minor) claims.hardware = 2;
      if (s.debug === false) claims.configuration = 2;
    }
    return claims;
  },
};

const defaultGpu: Module = {
  'data.policy.trust_claims': (input, _d, rv) => {
    const s = input.sampledevice;
    const claims = { executables: 33, hardware: 97, configuration: 36 };
    if (s) {
      if (inList(s.svn, rv('device_svn'))) claims.hardware = 2;
      if (inList(s.launch_digest, rv('device_launch_digest'))) claims.executables = 3;
      if (s.debug === false) claims.configuration = 2;
    }
    return claims;
  },
};

const KNOWN: Record<string, Module> = {
  [DEFAULT_AS_POLICIES.default_cpu!]: defaultCpu,
  [DEFAULT_AS_POLICIES.default_gpu!]: defaultGpu,
  [DEFAULT_RESOURCE_POLICY]: {
    'data.policy.allow': (input, data) => data.plugin === 'resource' && !input?.submods?.cpu0?.['ear.veraison.annotated-evidence']?.sample,
  },
  [ALLOW_RESOURCE_PLUGIN]: { 'data.policy.allow': (_i, data) => data.plugin === 'resource' },
  [DENY_ALL]: { 'data.policy.allow': () => false },
};

/** Register another policy text with its JavaScript equivalent (tests only). */
export function registerTestPolicy(text: string, rules: Module): void {
  KNOWN[text] = rules;
}

export function testPolicyEngine(): PolicyEngine {
  return {
    compile(modules: Record<string, string>): CompiledPolicy {
      const text = Object.values(modules)[0] ?? '';
      const mod = KNOWN[text];
      if (!mod) throw new MalformedInput('test policy engine: unknown policy text', { where: 'policy' });
      return {
        evalJson(query, { input, data, builtins }: { input?: unknown; data?: unknown; builtins?: HostBuiltins }) {
          const rule = mod[query];
          if (!rule) return undefined;
          const rv = (id: string) => builtins?.query_reference_value?.fn(id);
          return rule(input, data ?? {}, rv);
        },
      };
    },
  };
}
