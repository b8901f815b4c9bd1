/**
 * A logged-in session on a PKCS#11 token (an HSM, or SoftHSM in tests), for the `pkcs11` plugin. This
 * is the one file that uses the `pkcs11js` binding (an optional dependency: it builds with node-gyp at
 * install; without it the plugin is refused at startup with a message saying so).
 *
 * What the plugin needs, as upstream's plugin does it (`kbs/src/plugins/implementations/pkcs11.rs`):
 * - secrets are `CKO_SECRET_KEY` / `CKK_GENERIC_SECRET` objects, extractable and private, whose
 *   `CKA_LABEL` is the resource path `repo/type/tag` and whose `CKA_VALUE` is the resource;
 * - wrapping encrypts with the RSA public key labelled `lookup_label`, unwrapping decrypts with the
 *   private key of that label: RSA-OAEP with SHA-256 and MGF1-SHA-256 (`RsaPkcsOaep`, the default),
 *   or with SHA-1 (`RsaPkcsTest`, which SoftHSM needs: it implements OAEP with SHA-1 only).
 *
 * Beyond upstream: writing a secret replaces an existing one of that label (upstream adds a second
 * object and keeps reading the first); lookups name the object class, so a secret can never be a
 * wrap key; a session the token has dropped (e.g. after an HSM restart) is opened again once.
 * Calls are synchronous: each operation's PKCS#11 calls (find init/find/final, then the use) run
 * without interleaving.
 * @module
 */
import { createRequire } from 'node:module';
import { ConfigError, MalformedInput, NotFound, Unavailable } from '../../core/index.js';
import type * as Pkcs11Js from 'pkcs11js';

export type RsaMechanismName = 'RsaPkcsOaep' | 'RsaPkcsTest';

export interface Pkcs11Options {
  /** The PKCS#11 module (shared library), e.g. `/usr/lib/softhsm/libsofthsm2.so`. */
  module: string;
  /** Index among the slots that hold a token (default 0). */
  slotIndex?: number;
  /** The user PIN. */
  pin: string;
  rsaMechanism?: RsaMechanismName;
  /** Label of the RSA key pair used by `wrap`/`unwrap`. */
  lookupLabel?: string;
  /** Config key prefix for errors (e.g. `plugins[2]`). */
  configKey?: string;
}

export interface HsmSecrets {
  /** The value of the secret labelled `label`, or undefined. */
  read(label: string): Uint8Array | undefined;
  /** Store `value` under `label`, replacing a secret of that label. */
  write(label: string, value: Uint8Array): void;
  /** Remove the secret labelled `label`; false when there was none. */
  remove(label: string): boolean;
  /** RSA-OAEP encrypt with the public key labelled `lookupLabel`. */
  wrap(data: Uint8Array): Uint8Array;
  /** RSA-OAEP decrypt with the private key labelled `lookupLabel`. */
  unwrap(data: Uint8Array): Uint8Array;
  close(): void;
}

type Binding = typeof Pkcs11Js;

let binding: Binding | undefined;

function loadBinding(key: string): Binding {
  if (binding) return binding;
  try {
    binding = createRequire(import.meta.url)('pkcs11js') as Binding;
    return binding;
  } catch (cause) {
    throw new ConfigError(`${key}: the pkcs11 plugin needs the optional dependency pkcs11js, which is not installed here (npm builds it with node-gyp; a C++ toolchain and Node's headers are needed)`, { key, cause });
  }
}

/** Room for an RSA result when the key does not show its modulus (an 8192-bit one). */
const RSA_MAX_BYTES = 1024;

/** PKCS#11 return-value names that mean the session, not the request, is gone. */
const SESSION_GONE = new Set(['CKR_SESSION_HANDLE_INVALID', 'CKR_SESSION_CLOSED', 'CKR_DEVICE_REMOVED', 'CKR_TOKEN_NOT_PRESENT', 'CKR_USER_NOT_LOGGED_IN', 'CKR_OPERATION_ACTIVE']);
/** Return values that mean the data given to decrypt is not a ciphertext of this key. */
const BAD_DATA = new Set(['CKR_ENCRYPTED_DATA_INVALID', 'CKR_ENCRYPTED_DATA_LEN_RANGE', 'CKR_DATA_LEN_RANGE', 'CKR_DATA_INVALID']);

/** The CKR_ name of a pkcs11js error, if it is one. */
function ckrOf(err: unknown): string | undefined {
  const m = /CKR_[A-Z_]+/.exec(err instanceof Error ? err.message : '');
  return m?.[0];
}

/** Loaded modules: PKCS#11 is initialised once per process and module, and finalised when its last session closes. */
const modules = new Map<string, { lib: Pkcs11Js.PKCS11; refs: number }>();

function acquireModule(p11: Binding, path: string, key: string): Pkcs11Js.PKCS11 {
  const known = modules.get(path);
  if (known) {
    known.refs++;
    return known.lib;
  }
  const lib = new p11.PKCS11();
  try {
    lib.load(path);
  } catch (cause) {
    throw new ConfigError(`${key}.module: cannot load the PKCS#11 module ${path}: ${(cause as Error).message}`, { key: `${key}.module`, cause });
  }
  try {
    lib.C_Initialize({ flags: p11.CKF_OS_LOCKING_OK });
  } catch (cause) {
    if (ckrOf(cause) !== 'CKR_CRYPTOKI_ALREADY_INITIALIZED') {
      lib.close();
      throw new ConfigError(`${key}.module: C_Initialize failed: ${(cause as Error).message}`, { key: `${key}.module`, cause });
    }
  }
  modules.set(path, { lib, refs: 1 });
  return lib;
}

function releaseModule(path: string): void {
  const m = modules.get(path);
  if (!m || --m.refs > 0) return;
  modules.delete(path);
  try {
    m.lib.C_Finalize();
    m.lib.close();
  } catch {
    // a module that is already gone
  }
}

/** Open the module, log in to the token in slot `slotIndex`; throws `ConfigError` naming the key that is wrong. */
export function openPkcs11Token(o: Pkcs11Options): HsmSecrets {
  const key = o.configKey ?? 'plugins';
  const p11 = loadBinding(`${key}.module`);
  const lib = acquireModule(p11, o.module, key);
  try {
    return openSession(p11, lib, o, key);
  } catch (err) {
    releaseModule(o.module);
    throw err;
  }
}

function openSession(p11: Binding, lib: Pkcs11Js.PKCS11, o: Pkcs11Options, key: string): HsmSecrets {
  const slotIndex = o.slotIndex ?? 0;
  const mechanism = mechanismOf(p11, o.rsaMechanism ?? 'RsaPkcsOaep');
  const label = o.lookupLabel ?? '';

  const open = (): Buffer => {
    const slots = lib.C_GetSlotList(true);
    if (slotIndex >= slots.length) throw new ConfigError(`${key}.slot_index: ${slotIndex} is out of range (${slots.length} slot(s) with a token)`, { key: `${key}.slot_index` });
    const s = lib.C_OpenSession(slots[slotIndex]!, p11.CKF_RW_SESSION | p11.CKF_SERIAL_SESSION);
    try {
      lib.C_Login(s, p11.CKU_USER, o.pin);
    } catch (cause) {
      const ckr = ckrOf(cause);
      if (ckr !== 'CKR_USER_ALREADY_LOGGED_IN') {
        lib.C_CloseSession(s);
        throw new ConfigError(`${key}.pin: login to the token failed (${ckr ?? (cause as Error).message})`, { key: `${key}.pin`, cause });
      }
    }
    return s;
  };
  let session: Buffer | undefined = open();
  let closed = false;

  /** Run `op` on the session; reopen it once when the token has dropped it. */
  const run = <T>(what: string, op: (s: Buffer) => T): T => {
    for (let attempt = 0; ; attempt++) {
      if (closed) throw new Unavailable(`PKCS#11 ${what}: the token session is closed`);
      try {
        session ??= open();
        return op(session);
      } catch (err) {
        if (err instanceof ConfigError || err instanceof NotFound || err instanceof MalformedInput) throw err;
        const ckr = ckrOf(err);
        if (ckr && SESSION_GONE.has(ckr) && attempt === 0) {
          // Close what is left of it (a session that lost its login, or holds an operation, is still open).
          try {
            if (session) lib.C_CloseSession(session);
          } catch {
            // already gone
          }
          session = undefined;
          continue;
        }
        if (ckr && BAD_DATA.has(ckr)) throw new MalformedInput(`PKCS#11 ${what}: the data is not valid for this key (${ckr})`, { where: 'body' });
        throw new Unavailable(`PKCS#11 ${what} failed: ${ckr ?? (err as Error).message}`, { cause: err });
      }
    }
  };

  const find = (s: Buffer, template: Pkcs11Js.Template): Buffer[] => {
    lib.C_FindObjectsInit(s, template);
    try {
      return lib.C_FindObjects(s, 16);
    } finally {
      lib.C_FindObjectsFinal(s);
    }
  };
  const secretTemplate = (l: string): Pkcs11Js.Template => [
    { type: p11.CKA_CLASS, value: p11.CKO_SECRET_KEY },
    { type: p11.CKA_LABEL, value: l },
  ];
  /** Room for an RSA result with `key`: its modulus length when the token shows it. */
  const resultRoom = (s: Buffer, key: Buffer): number => {
    const modulus = lib.C_GetAttributeValue(s, key, [{ type: p11.CKA_MODULUS }])[0]?.value;
    return Buffer.isBuffer(modulus) && modulus.length > 0 ? modulus.length : RSA_MAX_BYTES;
  };
  const keyOf = (s: Buffer, cls: number, role: string): Buffer => {
    const found = find(s, [
      { type: p11.CKA_CLASS, value: cls },
      { type: p11.CKA_LABEL, value: label },
    ]);
    if (found.length === 0) throw new NotFound(`the token has no ${role} key labelled ${JSON.stringify(label)} (plugins lookup_label)`);
    return found[0]!;
  };

  return {
    read: (l) =>
      run('read', (s) => {
        const found = find(s, secretTemplate(l));
        if (found.length === 0) return undefined;
        const value = lib.C_GetAttributeValue(s, found[0]!, [{ type: p11.CKA_VALUE }])[0]?.value;
        if (!Buffer.isBuffer(value)) throw new Unavailable(`PKCS#11 read: the secret ${l} has no readable value`);
        return new Uint8Array(value);
      }),
    write: (l, value) =>
      run('write', (s) => {
        const old = find(s, secretTemplate(l));
        lib.C_CreateObject(s, [
          { type: p11.CKA_CLASS, value: p11.CKO_SECRET_KEY },
          { type: p11.CKA_KEY_TYPE, value: p11.CKK_GENERIC_SECRET },
          { type: p11.CKA_TOKEN, value: true },
          { type: p11.CKA_EXTRACTABLE, value: true },
          { type: p11.CKA_PRIVATE, value: true },
          { type: p11.CKA_VALUE, value: Buffer.from(value) },
          { type: p11.CKA_LABEL, value: l },
        ]);
        // The new value is stored before the old one goes: a failure leaves one of the two, never none.
        for (const h of old) lib.C_DestroyObject(s, h);
      }),
    remove: (l) =>
      run('delete', (s) => {
        const found = find(s, secretTemplate(l));
        for (const h of found) lib.C_DestroyObject(s, h);
        return found.length > 0;
      }),
    wrap: (data) =>
      run('wrap', (s) => {
        const publicKey = keyOf(s, p11.CKO_PUBLIC_KEY, 'public');
        const room = resultRoom(s, publicKey);
        lib.C_EncryptInit(s, mechanism, publicKey);
        return new Uint8Array(lib.C_Encrypt(s, Buffer.from(data), Buffer.alloc(room)));
      }),
    unwrap: (data) =>
      run('unwrap', (s) => {
        const privateKey = keyOf(s, p11.CKO_PRIVATE_KEY, 'private');
        // An RSA ciphertext is exactly as long as the modulus: anything else is not one (checked here,
        // because tokens answer it differently, SoftHSM with CKR_GENERAL_ERROR).
        const room = resultRoom(s, privateKey);
        if (room !== RSA_MAX_BYTES && data.length !== room) {
          throw new MalformedInput(`PKCS#11 unwrap: the data is ${data.length} bytes, not a ${room}-byte RSA ciphertext`, { where: 'body' });
        }
        lib.C_DecryptInit(s, mechanism, privateKey);
        try {
          return new Uint8Array(lib.C_Decrypt(s, Buffer.from(data), Buffer.alloc(room)));
        } catch (err) {
          const ckr = ckrOf(err);
          // A ciphertext of the right length that does not decrypt: tokens report it as bad data or as a general failure.
          if (ckr === 'CKR_GENERAL_ERROR' || ckr === 'CKR_FUNCTION_FAILED') throw new MalformedInput(`PKCS#11 unwrap: the data does not decrypt with the wrap key (${ckr})`, { where: 'body' });
          throw err;
        }
      }),
    close: () => {
      if (closed) return;
      closed = true;
      try {
        if (session) lib.C_CloseSession(session);
      } catch {
        // a session the token has already dropped
      }
      session = undefined;
      releaseModule(o.module);
    },
  };
}

function mechanismOf(p11: Binding, name: RsaMechanismName): Pkcs11Js.Mechanism {
  const sha1 = name === 'RsaPkcsTest';
  return {
    mechanism: p11.CKM_RSA_PKCS_OAEP,
    parameter: {
      type: p11.CK_PARAMS_RSA_OAEP,
      hashAlg: sha1 ? p11.CKM_SHA_1 : p11.CKM_SHA256,
      mgf: sha1 ? p11.CKG_MGF1_SHA1 : p11.CKG_MGF1_SHA256,
      source: 1, // CKZ_DATA_SPECIFIED, with no label
    } as Pkcs11Js.RsaOAEP,
  };
}
