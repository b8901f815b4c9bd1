/**
 * Builds an initdata TOML document (reference/guest-components.md §6) from a few settings: the
 * KBS URL (and optional TLS root) for the attestation agent and the confidential data hub, and
 * an optional Kata agent policy. The text is written by hand, deterministically, because the
 * digest covers the exact bytes; the result is re-parsed with `parseInitData` before it is returned.
 * @module
 */
import { MalformedInput } from '../core/index.js';
import { INITDATA_VERSION, parseInitData, type InitData } from '../protocol/index.js';

export interface InitDataSettings {
  /** KBS root URL, e.g. `https://kbs.example:8080` (scheme required). */
  kbsUrl?: string;
  /** PEM root certificate for HTTPS to the KBS. */
  kbsCert?: string;
  /** `sha256` | `sha384` | `sha512`; default `sha384` (TDX MRCONFIGID holds it whole). */
  algorithm?: 'sha256' | 'sha384' | 'sha512';
  /** A complete aa.toml, used instead of the one built from `kbsUrl`. */
  aaToml?: string;
  /** A complete cdh.toml, used instead of the one built from `kbsUrl`. */
  cdhToml?: string;
  /** Kata agent policy (Rego) stored as `policy.rego`. */
  policyRego?: string;
  /** Further `data` entries (file name → content). */
  extra?: Record<string, string>;
}

const CDH_SOCKET = 'unix:///run/confidential-containers/cdh.sock';

/** Build the TOML text and its parsed form; throws `MalformedInput` on an unusable setting. */
export function buildInitData(s: InitDataSettings): { toml: string; initData: InitData } {
  const algorithm = s.algorithm ?? 'sha384';
  if (!['sha256', 'sha384', 'sha512'].includes(algorithm)) throw new MalformedInput(`unsupported algorithm ${algorithm}`, { where: 'algorithm' });
  const data: [string, string][] = [];
  if (s.kbsUrl !== undefined) checkUrl(s.kbsUrl);
  const aa = s.aaToml ?? (s.kbsUrl !== undefined ? aaTomlFor(s.kbsUrl, s.kbsCert) : undefined);
  const cdh = s.cdhToml ?? (s.kbsUrl !== undefined ? cdhTomlFor(s.kbsUrl, s.kbsCert) : undefined);
  if (aa !== undefined) data.push(['aa.toml', aa]);
  if (cdh !== undefined) data.push(['cdh.toml', cdh]);
  if (s.policyRego !== undefined) data.push(['policy.rego', s.policyRego]);
  for (const [k, v] of Object.entries(s.extra ?? {})) data.push([k, v]);
  const lines = [`version = ${tomlString(INITDATA_VERSION)}`, `algorithm = ${tomlString(algorithm)}`, '', '[data]'];
  for (const [k, v] of data) lines.push(`${tomlString(k)} = ${tomlMultiline(v)}`);
  const toml = `${lines.join('\n')}\n`;
  return { toml, initData: parseInitData(toml) };
}

/** aa.toml: the KBS token config (and its root certificate when given). */
export function aaTomlFor(kbsUrl: string, cert?: string): string {
  const lines = ['[token_configs.kbs]', `url = ${tomlString(kbsUrl)}`];
  if (cert) lines.push(`cert = ${tomlMultiline(cert)}`);
  return `${lines.join('\n')}\n`;
}

/** cdh.toml: the CDH socket and the `cc_kbc` KBS client config. */
export function cdhTomlFor(kbsUrl: string, cert?: string): string {
  const lines = [`socket = ${tomlString(CDH_SOCKET)}`, '', '[kbc]', `name = ${tomlString('cc_kbc')}`, `url = ${tomlString(kbsUrl)}`];
  if (cert) lines.push(`kbs_cert = ${tomlMultiline(cert)}`);
  return `${lines.join('\n')}\n`;
}

function checkUrl(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch (cause) {
    throw new MalformedInput(`KBS URL ${JSON.stringify(url)} is not a URL`, { where: 'kbs-url', cause });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new MalformedInput('KBS URL must be http(s)', { where: 'kbs-url' });
}

/** A TOML basic string (TOML 1.0 §String): escapes quotes, backslashes and control characters. */
export function tomlString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || c === 0x7f) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/**
 * A multi-line literal string (`'''…'''`) when the text allows it (no `'''`, no control characters
 * other than tab/newline, does not end in a quote), else a basic string. Literal strings keep the
 * embedded TOML, Rego or PEM readable in the pod annotation.
 */
export function tomlMultiline(s: string): string {
  const literalOk = !s.includes("'''") && !/[\u0000-\u0008\u000b-\u001f\u007f]/.test(s) && !s.endsWith("'");
  // A newline right after the opening ''' is trimmed by TOML, so one is always added.
  return literalOk ? `'''\n${s}'''` : tomlString(s);
}
