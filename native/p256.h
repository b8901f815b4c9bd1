/*
 * What native/p256_ecdh.c and native/crypto_thread.c share: the addon's per-environment state, the
 * argument helpers, and the release JWE computed without touching JavaScript (so that a thread of
 * its own can run it).
 */
#ifndef COCO_P256_H
#define COCO_P256_H

#define OPENSSL_SUPPRESS_DEPRECATED
#include <node_api.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/ecdh.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/rand.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define POINT_BYTES 65
#define FIELD_BYTES 32
#define CEK_BYTES 32
#define WRAPPED_BYTES 40
#define IV_BYTES 12
#define TAG_BYTES 16

#define HEADER_HEAD "{\"alg\":\"ECDH-ES+A256KW\",\"enc\":\"A256GCM\",\"epk\":{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\""
#define HEADER_MID "\",\"y\":\""
#define HEADER_TAIL "\"}}"
#define COORD_B64 43 /* base64url of 32 bytes */
#define HEADER_BYTES (sizeof HEADER_HEAD - 1 + COORD_B64 + sizeof HEADER_MID - 1 + COORD_B64 + sizeof HEADER_TAIL - 1)
#define PROTECTED_B64 ((HEADER_BYTES * 4 + 2) / 3)

/* Outcomes of the JavaScript-free operations. */
#define P256_OK 0
#define P256_BAD_POINT 1
#define P256_FAILED 2

/* Per-environment state; the crypto thread reads the group, hash and ciphers, never changed after load. */
typedef struct {
  EC_GROUP *group;
  EVP_MD *sha256;
  EVP_CIPHER *aes_wrap;
  EVP_CIPHER *aes_gcm;
  void *thread; /* the crypto thread's state (native/crypto_thread.c), made by p256_thread_init */
} Instance;

/* A release JWE before it becomes a JavaScript object. `ct` is malloc'ed, `ct_len` bytes. */
typedef struct {
  char protected_b64[PROTECTED_B64];
  size_t protected_len;
  unsigned char wrapped[WRAPPED_BYTES];
  unsigned char iv[IV_BYTES];
  unsigned char tag[TAG_BYTES];
  unsigned char *ct;
  size_t ct_len;
} P256Sealed;

/*
 * A release prepared before its plaintext is known: everything of ECDH-ES+A256KW / A256GCM that does
 * not depend on the plaintext (ephemeral key, agreement, KEK, a random CEK and its wrapping, the
 * protected header, a random IV, and an AES-256-GCM context keyed with the CEK that has absorbed the
 * header as AAD). Sealing with it is then the GCM of the plaintext and the tag. Single use: the seal
 * sets `used` and frees the context (clearing its key schedule); the CEK itself is never kept.
 */
typedef struct {
  char protected_b64[PROTECTED_B64];
  size_t protected_len;
  unsigned char wrapped[WRAPPED_BYTES];
  unsigned char iv[IV_BYTES];
  EVP_CIPHER_CTX *gcm;
  unsigned char point[POINT_BYTES];
  int used;
} P256Prepared;

/* Throw (kind 1: TypeError, 2: RangeError, otherwise Error) and return NULL. */
napi_value p256_fail(napi_env env, const char *code, const char *message, int kind);
/* The bytes of a Uint8Array argument, or NULL after throwing a TypeError. */
const unsigned char *p256_uint8_arg(napi_env env, napi_value v, size_t *length, const char *what);
/* The instance and `want` arguments (missing ones undefined), or NULL after throwing. */
Instance *p256_instance_of(napi_env env, napi_callback_info info, size_t want, napi_value *argv);
/* base64url without padding of `n` bytes into `out` (room for 4 * ceil(n / 3) bytes); returns the length. */
size_t p256_b64url(const unsigned char *in, size_t n, char *out);
/*
 * The whole ECDH-ES+A256KW / A256GCM release JWE of `pt` to `point` (65 bytes, uncompressed, checked
 * here), no JavaScript involved. P256_OK fills `out` (free it with p256_sealed_free), P256_BAD_POINT
 * for a point that is not on P-256, P256_FAILED when OpenSSL fails. Leaves OpenSSL's error queue to
 * the caller.
 */
int p256_seal(const Instance *inst, const unsigned char *point, size_t point_len, const unsigned char *pt, size_t pt_len, P256Sealed *out);
void p256_sealed_free(P256Sealed *s);
/* The recipient-only part of a release to `point` (checked here): P256_OK, P256_BAD_POINT or P256_FAILED. */
int p256_prepare(const Instance *inst, const unsigned char *point, size_t point_len, P256Prepared *out);
/* The release of `pt` with a prepared key (marks it used and frees its cipher context); as p256_seal otherwise. */
int p256_seal_prepared(P256Prepared *prepared, const unsigned char *pt, size_t pt_len, P256Sealed *out);
/* Clear and free a prepared release (the finalizer of its JavaScript handle). */
void p256_prepared_free(P256Prepared *p);
/* Type tag of prepared-release handles (externals made by the crypto thread's signJwsAsync). */
extern const napi_type_tag P256_PREPARED_TAG;
/* The JWE as the object `sealJwe` returns, or NULL (nothing thrown) when it cannot be built. */
napi_value p256_sealed_value(napi_env env, const P256Sealed *s);
/* Add the crypto thread's functions (native/crypto_thread.c) to `exports`; 0 on failure. */
int p256_thread_init(napi_env env, napi_value exports, Instance *inst);
/* Free the crypto thread's state when its thread never started (a started one frees itself). */
void p256_thread_free(void *thread);

#endif
