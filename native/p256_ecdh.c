/*
 * P-256 ephemeral-static ECDH for the KBS resource JWE (ECDH-ES+A256KW), as a Node-API addon.
 *
 * Why native: node:crypto's ECDH.computeSecret re-validates its own key pair (a full public-key
 * check and a pairwise check) before every derivation, and crypto.diffieHellman re-validates the
 * peer with a second scalar multiplication; on P-256 either costs two to three scalar
 * multiplications where the agreement needs one. This addon does exactly one: it decodes the
 * recipient's point (EC_POINT_oct2point rejects a point that is not on the curve, which on P-256,
 * with cofactor 1, is the whole public-key validation), generates a fresh ephemeral key and derives
 * the shared x-coordinate. It links against the OpenSSL that Node itself carries.
 *
 * ecdhEphemeral(recipient: Uint8Array of 65 bytes, 04 || x || y)
 *   -> { epk: Buffer (65 bytes, uncompressed ephemeral public point), z: Buffer (32 bytes) }
 * ecdh(scalar: Uint8Array of 32 bytes, peer: Uint8Array of 65 bytes) -> z: Buffer (32 bytes)
 *   (the recipient's side: its private scalar, which must be in 1..n-1, and the sender's point)
 * sealJwe(recipient: Uint8Array of 65 bytes, plaintext: Uint8Array)
 *   -> { protected, encrypted_key, iv, ciphertext, tag } (strings, base64url without padding)
 *   the whole KBS resource JWE in one call: the agreement above, Concat KDF (RFC 7518 §4.6.2, SHA-256,
 *   empty apu/apv), a random CEK wrapped with AES-256 key wrap (RFC 3394), and AES-256-GCM under a
 *   random 96-bit IV with the ASCII of `protected` as AAD. The header is
 *   {"alg":"ECDH-ES+A256KW","enc":"A256GCM","epk":{"crv":"P-256","kty":"EC","x":..,"y":..}}, member for
 *   member what src/core/jwe.ts builds. The hash and ciphers are fetched once, at load: node:crypto
 *   looks each one up again on every createCipheriv, which costs more than the work on a short secret.
 * sealPrepared(release, plaintext) -> the same JWE object
 *   the JWE from a release prepared by the crypto thread's signJwsAsync(key, input, point) (ephemeral key,
 *   agreement, KEK and wrapped CEK done there): one AES-256-GCM under a fresh IV. Each release seals once;
 *   its key schedule is cleared then (and by its finalizer if it is never used).
 * discardPrepared(release) -> undefined: give an unused prepared release up now (frees its cipher context).
 * Throws a TypeError for a wrong argument, a RangeError for a point off the curve or a scalar out of
 * range, an Error when OpenSSL fails.
 *
 * The same module carries the crypto thread (native/crypto_thread.c: sealJweAsync, signingKey,
 * signEs256Async); what both files share is in native/p256.h.
 */
#include "p256.h"

static void free_instance(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  Instance *inst = data;
  EC_GROUP_free(inst->group);
  EVP_MD_free(inst->sha256);
  EVP_CIPHER_free(inst->aes_wrap);
  EVP_CIPHER_free(inst->aes_gcm);
  p256_thread_free(inst->thread);
  free(inst);
}

napi_value p256_fail(napi_env env, const char *code, const char *message, int kind) {
  if (kind == 1) napi_throw_type_error(env, code, message);
  else if (kind == 2) napi_throw_range_error(env, code, message);
  else napi_throw_error(env, code, message);
  return NULL;
}

/* The bytes of a Uint8Array argument, or NULL after throwing a TypeError. */
const unsigned char *p256_uint8_arg(napi_env env, napi_value v, size_t *length, const char *what) {
  bool is_typed = false;
  napi_typedarray_type type;
  void *bytes = NULL;
  if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, v, &type, length, &bytes, NULL, NULL) != napi_ok || type != napi_uint8_array) {
    p256_fail(env, "ERR_INVALID_ARG_TYPE", what, 1);
    return NULL;
  }
  return bytes != NULL ? bytes : (const unsigned char *)"";
}

Instance *p256_instance_of(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  Instance *inst = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || napi_get_instance_data(env, (void **)&inst) != napi_ok || inst == NULL) {
    p256_fail(env, "ERR_NATIVE", "p256 addon is not initialised", 0);
    return NULL;
  }
  for (size_t i = argc; i < want; i++) napi_get_undefined(env, &argv[i]);
  return inst;
}

/* Decode an uncompressed point; 0 after throwing. Decoding checks that the point lies on the curve. */
static int decode_point(napi_env env, Instance *inst, napi_value v, EC_POINT *out, const char *what) {
  size_t length = 0;
  const unsigned char *bytes = p256_uint8_arg(env, v, &length, what);
  if (bytes == NULL) return 0;
  if (length != POINT_BYTES || bytes[0] != 0x04 || EC_POINT_oct2point(inst->group, out, bytes, length, NULL) != 1 ||
      EC_POINT_is_at_infinity(inst->group, out)) {
    p256_fail(env, "ERR_INVALID_ARG_VALUE", "point must be 65 bytes, uncompressed, on P-256", 2);
    return 0;
  }
  return 1;
}

static napi_value ecdh_static(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  Instance *inst = p256_instance_of(env, info, 2, argv);
  if (inst == NULL) return NULL;
  size_t scalar_len = 0;
  const unsigned char *scalar = p256_uint8_arg(env, argv[0], &scalar_len, "private scalar must be a Uint8Array");
  if (scalar == NULL) return NULL;
  if (scalar_len != FIELD_BYTES) return p256_fail(env, "ERR_INVALID_ARG_VALUE", "private scalar must be 32 bytes", 2);
  napi_value result = NULL;
  unsigned char z[FIELD_BYTES];
  EC_POINT *peer = EC_POINT_new(inst->group);
  EC_KEY *key = EC_KEY_new();
  BIGNUM *d = BN_bin2bn(scalar, FIELD_BYTES, NULL);
  if (peer == NULL || key == NULL || d == NULL || EC_KEY_set_group(key, inst->group) != 1) {
    p256_fail(env, "ERR_NATIVE", "out of memory", 0);
    goto done;
  }
  if (BN_is_zero(d) || BN_cmp(d, EC_GROUP_get0_order(inst->group)) >= 0) {
    p256_fail(env, "ERR_INVALID_ARG_VALUE", "private scalar is out of range", 2);
    goto done;
  }
  if (!decode_point(env, inst, argv[1], peer, "peer point must be a Uint8Array")) goto done;
  if (EC_KEY_set_private_key(key, d) != 1 || ECDH_compute_key(z, FIELD_BYTES, peer, key, NULL) != FIELD_BYTES) {
    p256_fail(env, "ERR_NATIVE", "P-256 key agreement failed", 0);
    goto done;
  }
  void *copy;
  napi_value out;
  if (napi_create_buffer_copy(env, FIELD_BYTES, z, &copy, &out) == napi_ok) result = out;
  else p256_fail(env, "ERR_NATIVE", "could not build the result", 0);
done:
  OPENSSL_cleanse(z, sizeof z);
  BN_clear_free(d);
  EC_KEY_free(key);
  EC_POINT_free(peer);
  /* Leave OpenSSL's per-thread error queue as found: Node's own crypto asserts on stale entries. */
  ERR_clear_error();
  return result;
}

/*
 * A fresh ephemeral key agreed with the recipient point `point` (65 bytes, checked here): the shared
 * x-coordinate into `z` and the uncompressed ephemeral public point into `epk`. No JavaScript: the
 * crypto thread calls it too. The ephemeral private key is freed (and cleared) either way.
 */
static int agree(const Instance *inst, const unsigned char *point, size_t length, unsigned char z[FIELD_BYTES], unsigned char epk[POINT_BYTES]) {
  int status = P256_FAILED;
  EC_POINT *peer = EC_POINT_new(inst->group);
  EC_KEY *eph = EC_KEY_new();
  if (peer == NULL || eph == NULL || EC_KEY_set_group(eph, inst->group) != 1) goto done;
  if (length != POINT_BYTES || point[0] != 0x04 || EC_POINT_oct2point(inst->group, peer, point, length, NULL) != 1 ||
      EC_POINT_is_at_infinity(inst->group, peer)) {
    status = P256_BAD_POINT;
    goto done;
  }
  if (EC_KEY_generate_key(eph) == 1 && ECDH_compute_key(z, FIELD_BYTES, peer, eph, NULL) == FIELD_BYTES &&
      EC_POINT_point2oct(inst->group, EC_KEY_get0_public_key(eph), POINT_CONVERSION_UNCOMPRESSED, epk, POINT_BYTES, NULL) == POINT_BYTES)
    status = P256_OK;
done:
  EC_KEY_free(eph);
  EC_POINT_free(peer);
  return status;
}

/* `agree` on a JavaScript argument; 0 after throwing. */
static int ephemeral_agreement(napi_env env, Instance *inst, napi_value v, unsigned char z[FIELD_BYTES], unsigned char epk[POINT_BYTES]) {
  size_t length = 0;
  const unsigned char *bytes = p256_uint8_arg(env, v, &length, "recipient point must be a Uint8Array");
  if (bytes == NULL) return 0;
  int status = agree(inst, bytes, length, z, epk);
  if (status == P256_BAD_POINT) p256_fail(env, "ERR_INVALID_ARG_VALUE", "point must be 65 bytes, uncompressed, on P-256", 2);
  else if (status != P256_OK) p256_fail(env, "ERR_NATIVE", "P-256 key agreement failed", 0);
  return status == P256_OK;
}

static napi_value ecdh_ephemeral(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  Instance *inst = p256_instance_of(env, info, 1, argv);
  if (inst == NULL) return NULL;

  napi_value result = NULL;
  unsigned char z[FIELD_BYTES];
  unsigned char epk[POINT_BYTES];
  if (!ephemeral_agreement(env, inst, argv[0], z, epk)) goto done;
  napi_value out, epk_buf, z_buf;
  void *copy;
  if (napi_create_object(env, &out) != napi_ok || napi_create_buffer_copy(env, POINT_BYTES, epk, &copy, &epk_buf) != napi_ok ||
      napi_create_buffer_copy(env, FIELD_BYTES, z, &copy, &z_buf) != napi_ok || napi_set_named_property(env, out, "epk", epk_buf) != napi_ok ||
      napi_set_named_property(env, out, "z", z_buf) != napi_ok) {
    p256_fail(env, "ERR_NATIVE", "could not build the result", 0);
    goto done;
  }
  result = out;
done:
  OPENSSL_cleanse(z, sizeof z);
  /* Leave OpenSSL's per-thread error queue as found: Node's own crypto asserts on stale entries. */
  ERR_clear_error();
  return result;
}

static const char B64URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* base64url without padding of `n` bytes into `out` (room for 4 * ceil(n / 3) bytes); returns the length. */
size_t p256_b64url(const unsigned char *in, size_t n, char *out) {
  size_t o = 0, i = 0;
  for (; i + 3 <= n; i += 3) {
    unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
    out[o++] = B64URL[v >> 18];
    out[o++] = B64URL[(v >> 12) & 63];
    out[o++] = B64URL[(v >> 6) & 63];
    out[o++] = B64URL[v & 63];
  }
  if (n - i == 1) {
    unsigned v = (unsigned)in[i] << 16;
    out[o++] = B64URL[v >> 18];
    out[o++] = B64URL[(v >> 12) & 63];
  } else if (n - i == 2) {
    unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
    out[o++] = B64URL[v >> 18];
    out[o++] = B64URL[(v >> 12) & 63];
    out[o++] = B64URL[(v >> 6) & 63];
  }
  return o;
}

/* Set out[name] to the base64url of `n` bytes; 0 on failure. `scratch` has room for the encoding. */
static int set_b64url(napi_env env, napi_value out, const char *name, const unsigned char *bytes, size_t n, char *scratch) {
  napi_value v;
  size_t len = p256_b64url(bytes, n, scratch);
  return napi_create_string_latin1(env, scratch, len, &v) == napi_ok && napi_set_named_property(env, out, name, v) == napi_ok;
}

/* Concat KDF for ECDH-ES+A256KW: SHA-256(00000001 || Z || 0000000e || "ECDH-ES+A256KW" || 00000000 || 00000000 || 00000100). */
static int concat_kdf(const Instance *inst, const unsigned char *z, unsigned char kek[32]) {
  static const unsigned char ALG[] = "ECDH-ES+A256KW";
  unsigned char in[4 + FIELD_BYTES + 4 + 14 + 4 + 4 + 4];
  size_t o = 0;
  memcpy(in + o, "\x00\x00\x00\x01", 4), o += 4;
  memcpy(in + o, z, FIELD_BYTES), o += FIELD_BYTES;
  memcpy(in + o, "\x00\x00\x00\x0e", 4), o += 4;
  memcpy(in + o, ALG, 14), o += 14;
  memcpy(in + o, "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00", 12), o += 12;
  unsigned int len = 0;
  int ok = EVP_Digest(in, o, kek, &len, inst->sha256, NULL) == 1 && len == 32;
  OPENSSL_cleanse(in, sizeof in);
  return ok;
}

/* AES-256 key wrap (RFC 3394, default IV A6A6A6A6A6A6A6A6) of the 32-byte CEK into 40 bytes. */
static int key_wrap(const Instance *inst, const unsigned char kek[32], const unsigned char cek[CEK_BYTES], unsigned char out[WRAPPED_BYTES]) {
  static const unsigned char IV[8] = {0xA6, 0xA6, 0xA6, 0xA6, 0xA6, 0xA6, 0xA6, 0xA6};
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  int n = 0, m = 0;
  int ok = ctx != NULL && EVP_EncryptInit_ex2(ctx, inst->aes_wrap, kek, IV, NULL) == 1 && EVP_EncryptUpdate(ctx, out, &n, cek, CEK_BYTES) == 1 &&
           EVP_EncryptFinal_ex(ctx, out + n, &m) == 1 && n + m == WRAPPED_BYTES;
  EVP_CIPHER_CTX_free(ctx);
  return ok;
}

/* An AES-256-GCM context keyed with `cek`/`iv` that has absorbed `aad`; NULL on failure. */
static EVP_CIPHER_CTX *gcm_begin(const Instance *inst, const unsigned char *cek, const unsigned char *iv, const unsigned char *aad, int aad_len) {
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  int a = 0;
  if (ctx != NULL && EVP_EncryptInit_ex2(ctx, inst->aes_gcm, cek, iv, NULL) == 1 && EVP_EncryptUpdate(ctx, NULL, &a, aad, aad_len) == 1) return ctx;
  EVP_CIPHER_CTX_free(ctx);
  return NULL;
}

/* The rest of the GCM of `gcm_begin`: ciphertext of `pt` into `ct` (same length), tag into `tag`. */
static int gcm_finish(EVP_CIPHER_CTX *ctx, const unsigned char *pt, int pt_len, unsigned char *ct, unsigned char tag[TAG_BYTES]) {
  int n = 0, m = 0;
  return (pt_len == 0 || EVP_EncryptUpdate(ctx, ct, &n, pt, pt_len) == 1) && EVP_EncryptFinal_ex(ctx, ct + n, &m) == 1 && n + m == pt_len &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, TAG_BYTES, tag) == 1;
}

/* Free a prepared release's cipher context (which clears its key schedule) and clear the rest. */
static void prepared_clear(P256Prepared *p) {
  EVP_CIPHER_CTX_free(p->gcm);
  OPENSSL_cleanse(p, sizeof *p);
}

int p256_prepare(const Instance *inst, const unsigned char *point, size_t point_len, P256Prepared *out) {
  memset(out, 0, sizeof *out);
  unsigned char z[FIELD_BYTES], kek[32], cek[CEK_BYTES];
  unsigned char epk[POINT_BYTES];
  char header[HEADER_BYTES];
  int status = agree(inst, point, point_len, z, epk);
  if (status != P256_OK) goto done;
  status = P256_FAILED;
  size_t h = 0;
  memcpy(header, HEADER_HEAD, sizeof HEADER_HEAD - 1), h += sizeof HEADER_HEAD - 1;
  h += p256_b64url(epk + 1, FIELD_BYTES, header + h);
  memcpy(header + h, HEADER_MID, sizeof HEADER_MID - 1), h += sizeof HEADER_MID - 1;
  h += p256_b64url(epk + 1 + FIELD_BYTES, FIELD_BYTES, header + h);
  memcpy(header + h, HEADER_TAIL, sizeof HEADER_TAIL - 1), h += sizeof HEADER_TAIL - 1;
  out->protected_len = p256_b64url((const unsigned char *)header, h, out->protected_b64);
  memcpy(out->point, point, POINT_BYTES);
  /* The CEK is used once, so its IV can be chosen now; the AAD (the protected header) is known too. */
  if (concat_kdf(inst, z, kek) && RAND_bytes(cek, CEK_BYTES) == 1 && key_wrap(inst, kek, cek, out->wrapped) && RAND_bytes(out->iv, IV_BYTES) == 1 &&
      (out->gcm = gcm_begin(inst, cek, out->iv, (const unsigned char *)out->protected_b64, (int)out->protected_len)) != NULL)
    status = P256_OK;
done:
  OPENSSL_cleanse(z, sizeof z);
  OPENSSL_cleanse(kek, sizeof kek);
  OPENSSL_cleanse(cek, sizeof cek);
  if (status != P256_OK) prepared_clear(out);
  return status;
}

int p256_seal_prepared(P256Prepared *prepared, const unsigned char *pt, size_t pt_len, P256Sealed *out) {
  memset(out, 0, sizeof *out);
  if (prepared->used || prepared->gcm == NULL || pt_len > (size_t)INT_MAX - 32) return P256_FAILED;
  prepared->used = 1;
  int status = P256_FAILED;
  memcpy(out->protected_b64, prepared->protected_b64, prepared->protected_len);
  out->protected_len = prepared->protected_len;
  memcpy(out->wrapped, prepared->wrapped, WRAPPED_BYTES);
  memcpy(out->iv, prepared->iv, IV_BYTES);
  out->ct = malloc(pt_len + 1);
  if (out->ct != NULL) {
    out->ct_len = pt_len;
    if (gcm_finish(prepared->gcm, pt, (int)pt_len, out->ct, out->tag)) status = P256_OK;
  }
  /* Used up either way: the key schedule goes now. */
  EVP_CIPHER_CTX_free(prepared->gcm);
  prepared->gcm = NULL;
  if (status != P256_OK) p256_sealed_free(out);
  return status;
}

void p256_prepared_free(P256Prepared *p) {
  if (p == NULL) return;
  prepared_clear(p);
  free(p);
}

const napi_type_tag P256_PREPARED_TAG = {0x636f636f2d747300ULL, 0x72656c6561736531ULL};

int p256_seal(const Instance *inst, const unsigned char *point, size_t point_len, const unsigned char *pt, size_t pt_len, P256Sealed *out) {
  memset(out, 0, sizeof *out);
  if (pt_len > (size_t)INT_MAX - 32) return P256_FAILED;
  P256Prepared prepared;
  int status = p256_prepare(inst, point, point_len, &prepared);
  if (status == P256_OK) {
    status = p256_seal_prepared(&prepared, pt, pt_len, out);
    prepared_clear(&prepared);
  }
  return status;
}

void p256_sealed_free(P256Sealed *s) {
  free(s->ct);
  s->ct = NULL;
  s->ct_len = 0;
}

napi_value p256_sealed_value(napi_env env, const P256Sealed *s) {
  napi_value out, prot, ctv;
  char scratch[64];
  char *ct_b64 = malloc((s->ct_len + 2) / 3 * 4 + 1);
  if (ct_b64 == NULL) return NULL;
  size_t ct_len = p256_b64url(s->ct, s->ct_len, ct_b64);
  int ok = napi_create_object(env, &out) == napi_ok && napi_create_string_latin1(env, s->protected_b64, s->protected_len, &prot) == napi_ok &&
           napi_set_named_property(env, out, "protected", prot) == napi_ok && set_b64url(env, out, "encrypted_key", s->wrapped, WRAPPED_BYTES, scratch) &&
           set_b64url(env, out, "iv", s->iv, IV_BYTES, scratch) && napi_create_string_latin1(env, ct_b64, ct_len, &ctv) == napi_ok &&
           napi_set_named_property(env, out, "ciphertext", ctv) == napi_ok && set_b64url(env, out, "tag", s->tag, TAG_BYTES, scratch);
  free(ct_b64);
  return ok ? out : NULL;
}

/*
 * The JavaScript value of a seal's outcome: the JWE object (the sealed bytes then cleared and freed),
 * or a thrown RangeError (point off the curve) or Error. Leaves OpenSSL's per-thread error queue as
 * found: Node's own crypto asserts on stale entries.
 */
static napi_value sealed_result(napi_env env, int status, P256Sealed *sealed) {
  napi_value result = NULL;
  if (status == P256_BAD_POINT) p256_fail(env, "ERR_INVALID_ARG_VALUE", "point must be 65 bytes, uncompressed, on P-256", 2);
  else if (status != P256_OK) p256_fail(env, "ERR_NATIVE", "JWE encryption failed", 0);
  else if ((result = p256_sealed_value(env, sealed)) == NULL) p256_fail(env, "ERR_NATIVE", "could not build the result", 0);
  if (status == P256_OK) {
    OPENSSL_cleanse(sealed->ct, sealed->ct_len);
    p256_sealed_free(sealed);
  }
  ERR_clear_error();
  return result;
}

/* The prepared release a JavaScript argument holds, or NULL after throwing a TypeError. */
static P256Prepared *prepared_arg(napi_env env, napi_value v) {
  bool tagged = false;
  void *data = NULL;
  if (napi_check_object_type_tag(env, v, &P256_PREPARED_TAG, &tagged) != napi_ok || !tagged || napi_get_value_external(env, v, &data) != napi_ok) {
    p256_fail(env, "ERR_INVALID_ARG_TYPE", "release must be a prepared release from signJwsAsync", 1);
    return NULL;
  }
  return data;
}

static napi_value seal_jwe(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  Instance *inst = p256_instance_of(env, info, 2, argv);
  if (inst == NULL) return NULL;
  size_t pt_len = 0, point_len = 0;
  const unsigned char *point = p256_uint8_arg(env, argv[0], &point_len, "recipient point must be a Uint8Array");
  if (point == NULL) return NULL;
  const unsigned char *pt = p256_uint8_arg(env, argv[1], &pt_len, "plaintext must be a Uint8Array");
  if (pt == NULL) return NULL;
  if (pt_len > (size_t)INT_MAX - 32) return p256_fail(env, "ERR_INVALID_ARG_VALUE", "plaintext is too large", 2);
  P256Sealed sealed;
  return sealed_result(env, p256_seal(inst, point, point_len, pt, pt_len, &sealed), &sealed);
}

/* sealPrepared(release, plaintext): the JWE with a release prepared by signJwsAsync; each release seals once. */
static napi_value seal_prepared(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  Instance *inst = p256_instance_of(env, info, 2, argv);
  if (inst == NULL) return NULL;
  P256Prepared *prepared = prepared_arg(env, argv[0]);
  if (prepared == NULL) return NULL;
  size_t pt_len = 0;
  const unsigned char *pt = p256_uint8_arg(env, argv[1], &pt_len, "plaintext must be a Uint8Array");
  if (pt == NULL) return NULL;
  if (pt_len > (size_t)INT_MAX - 32) return p256_fail(env, "ERR_INVALID_ARG_VALUE", "plaintext is too large", 2);
  if (prepared->used) return p256_fail(env, "ERR_INVALID_STATE", "this prepared release was already used", 0);
  P256Sealed sealed;
  return sealed_result(env, p256_seal_prepared(prepared, pt, pt_len, &sealed), &sealed);
}

/*
 * discardPrepared(release): an unused prepared release given up (its token left the memo of recent
 * tokens): free its cipher context now rather than when the collector gets to the handle, which may be
 * a major collection tens of seconds later. Anything but a prepared release is a TypeError; a used one
 * is left as it is.
 */
static napi_value discard_prepared(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (p256_instance_of(env, info, 1, argv) == NULL) return NULL;
  P256Prepared *prepared = prepared_arg(env, argv[0]);
  if (prepared == NULL) return NULL;
  prepared->used = 1;
  EVP_CIPHER_CTX_free(prepared->gcm);
  prepared->gcm = NULL;
  return NULL;
}

NAPI_MODULE_INIT() {
  Instance *inst = calloc(1, sizeof *inst);
  if (inst == NULL) return NULL;
  inst->group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
  inst->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
  inst->aes_wrap = EVP_CIPHER_fetch(NULL, "AES-256-WRAP", NULL);
  inst->aes_gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
  ERR_clear_error();
  if (inst->group == NULL || inst->sha256 == NULL || inst->aes_wrap == NULL || inst->aes_gcm == NULL ||
      napi_set_instance_data(env, inst, free_instance, NULL) != napi_ok) {
    free_instance(env, inst, NULL);
    napi_throw_error(env, "ERR_NATIVE", "could not create the P-256 group or fetch SHA-256 / AES-256-WRAP / AES-256-GCM");
    return NULL;
  }
  napi_value fn, fn2, fn3, fn4, fn5;
  if (napi_create_function(env, "ecdhEphemeral", NAPI_AUTO_LENGTH, ecdh_ephemeral, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "ecdhEphemeral", fn) != napi_ok ||
      napi_create_function(env, "ecdh", NAPI_AUTO_LENGTH, ecdh_static, NULL, &fn2) != napi_ok ||
      napi_set_named_property(env, exports, "ecdh", fn2) != napi_ok ||
      napi_create_function(env, "sealJwe", NAPI_AUTO_LENGTH, seal_jwe, NULL, &fn3) != napi_ok ||
      napi_set_named_property(env, exports, "sealJwe", fn3) != napi_ok ||
      napi_create_function(env, "sealPrepared", NAPI_AUTO_LENGTH, seal_prepared, NULL, &fn4) != napi_ok ||
      napi_set_named_property(env, exports, "sealPrepared", fn4) != napi_ok ||
      napi_create_function(env, "discardPrepared", NAPI_AUTO_LENGTH, discard_prepared, NULL, &fn5) != napi_ok ||
      napi_set_named_property(env, exports, "discardPrepared", fn5) != napi_ok || !p256_thread_init(env, exports, inst)) {
    return NULL;
  }
  return exports;
}
