/**
 * The `Verifier` contract every TEE folder implements (STYLE habit 8), and the collateral
 * sources verifiers may consult. Verification is pure: evidence, expectations, collateral and
 * the current time come in as arguments (habit 4).
 * @module
 */
import type { CheckRecord } from '../core/index.js';
import type { Tee, TeeClass } from '../protocol/index.js';

/** What the relying party expects the evidence to be bound to. Absent means "not provided". */
export interface Expected {
  /** Runtime-data digest (H(JCS(runtime data))); each verifier compares it at its field width. */
  reportData?: Uint8Array;
  /** init-data digest (H(initdata TOML)); compared with HOST_DATA / MRCONFIGID / PCR 8. */
  initDataDigest?: Uint8Array;
}

/** A successful verification: flat claims (upstream names and types), the TEE class and the check trace. */
export interface VerifierResult {
  claims: Record<string, unknown>;
  teeClass: TeeClass;
  checks: CheckRecord[];
}

export interface Verifier {
  readonly tee: Tee;
  /**
   * Verify `evidence` (the TEE's evidence JSON as the guest sent it) as of `now`.
   * @throws MalformedInput when the evidence does not parse
   * @throws VerificationFailed naming the failed check, with the trace so far
   */
  evaluate(evidence: unknown, expected: Expected, now: Date): Promise<VerifierResult>;
  /** Optional supplemental challenge (IBM SE style); most TEEs have none. */
  challenge?(params: unknown): Promise<string>;
}

/** SNP endorsement-key lookup (VCEK/VLEK DER) when the evidence carries no certificate. */
export interface SnpVekQuery {
  generation: 'Milan' | 'Genoa' | 'Turin';
  /** Chip id (64 bytes; Turin KDS uses the first 8). */
  chipId: Uint8Array;
  tcb: { bootloader: number; tee: number; snp: number; microcode: number; fmc?: number | undefined };
}

export interface SnpVekSource {
  getVek(query: SnpVekQuery): Promise<Uint8Array | undefined>;
}

/** Intel DCAP collateral for one FMSPC, as served by PCS/PCCS (JSON texts kept verbatim for signature checks). */
export interface TdxCollateral {
  /** `{"tcbInfo":{...},"signature":"..."}` text. */
  tcbInfo: string;
  /** PEM chain of the TCB signing certificate (leaf first). */
  tcbInfoIssuerChain: string;
  /** `{"enclaveIdentity":{...},"signature":"..."}` text. */
  qeIdentity: string;
  qeIdentityIssuerChain: string;
  /** DER (or PEM) CRLs when available. */
  pckCrl?: Uint8Array;
  rootCaCrl?: Uint8Array;
}

export interface TdxCollateralSource {
  getCollateral(fmspc: string, ca: 'platform' | 'processor'): Promise<TdxCollateral | undefined>;
}

/** What a verifier factory may be given. Every member is optional; verifiers fail closed without what they need. */
export interface VerifierEnv {
  snpVek?: SnpVekSource;
  tdxCollateral?: TdxCollateralSource;
}

export type VerifierFactory = (env: VerifierEnv) => Verifier;
