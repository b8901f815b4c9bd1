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
 * Throws a TypeError for a wrong argument, a RangeError for a point off the curve or a scalar out of
 * range, an Error when OpenSSL fails.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <node_api.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/ecdh.h>
#include <openssl/obj_mac.h>
#include <stdlib.h>

#define POINT_BYTES 65
#define FIELD_BYTES 32

typedef struct {
  EC_GROUP *group;
} Instance;

static void free_instance(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  Instance *inst = data;
  EC_GROUP_free(inst->group);
  free(inst);
}

static napi_value fail(napi_env env, const char *code, const char *message, int kind) {
  if (kind == 1) napi_throw_type_error(env, code, message);
  else if (kind == 2) napi_throw_range_error(env, code, message);
  else napi_throw_error(env, code, message);
  return NULL;
}

/* The bytes of a Uint8Array argument, or NULL after throwing a TypeError. */
static const unsigned char *uint8_arg(napi_env env, napi_value v, size_t *length, const char *what) {
  bool is_typed = false;
  napi_typedarray_type type;
  void *bytes = NULL;
  if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, v, &type, length, &bytes, NULL, NULL) != napi_ok || type != napi_uint8_array) {
    fail(env, "ERR_INVALID_ARG_TYPE", what, 1);
    return NULL;
  }
  return bytes != NULL ? bytes : (const unsigned char *)"";
}

static Instance *instance_of(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  Instance *inst = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || napi_get_instance_data(env, (void **)&inst) != napi_ok || inst == NULL) {
    fail(env, "ERR_NATIVE", "p256 addon is not initialised", 0);
    return NULL;
  }
  for (size_t i = argc; i < want; i++) napi_get_undefined(env, &argv[i]);
  return inst;
}

/* Decode an uncompressed point; 0 after throwing. Decoding checks that the point lies on the curve. */
static int decode_point(napi_env env, Instance *inst, napi_value v, EC_POINT *out, const char *what) {
  size_t length = 0;
  const unsigned char *bytes = uint8_arg(env, v, &length, what);
  if (bytes == NULL) return 0;
  if (length != POINT_BYTES || bytes[0] != 0x04 || EC_POINT_oct2point(inst->group, out, bytes, length, NULL) != 1 ||
      EC_POINT_is_at_infinity(inst->group, out)) {
    fail(env, "ERR_INVALID_ARG_VALUE", "point must be 65 bytes, uncompressed, on P-256", 2);
    return 0;
  }
  return 1;
}

static napi_value ecdh_static(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  Instance *inst = instance_of(env, info, 2, argv);
  if (inst == NULL) return NULL;
  size_t scalar_len = 0;
  const unsigned char *scalar = uint8_arg(env, argv[0], &scalar_len, "private scalar must be a Uint8Array");
  if (scalar == NULL) return NULL;
  if (scalar_len != FIELD_BYTES) return fail(env, "ERR_INVALID_ARG_VALUE", "private scalar must be 32 bytes", 2);
  napi_value result = NULL;
  unsigned char z[FIELD_BYTES];
  EC_POINT *peer = EC_POINT_new(inst->group);
  EC_KEY *key = EC_KEY_new();
  BIGNUM *d = BN_bin2bn(scalar, FIELD_BYTES, NULL);
  if (peer == NULL || key == NULL || d == NULL || EC_KEY_set_group(key, inst->group) != 1) {
    fail(env, "ERR_NATIVE", "out of memory", 0);
    goto done;
  }
  if (BN_is_zero(d) || BN_cmp(d, EC_GROUP_get0_order(inst->group)) >= 0) {
    fail(env, "ERR_INVALID_ARG_VALUE", "private scalar is out of range", 2);
    goto done;
  }
  if (!decode_point(env, inst, argv[1], peer, "peer point must be a Uint8Array")) goto done;
  if (EC_KEY_set_private_key(key, d) != 1 || ECDH_compute_key(z, FIELD_BYTES, peer, key, NULL) != FIELD_BYTES) {
    fail(env, "ERR_NATIVE", "P-256 key agreement failed", 0);
    goto done;
  }
  void *copy;
  napi_value out;
  if (napi_create_buffer_copy(env, FIELD_BYTES, z, &copy, &out) == napi_ok) result = out;
  else fail(env, "ERR_NATIVE", "could not build the result", 0);
done:
  OPENSSL_cleanse(z, sizeof z);
  BN_clear_free(d);
  EC_KEY_free(key);
  EC_POINT_free(peer);
  return result;
}

static napi_value ecdh_ephemeral(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  Instance *inst = instance_of(env, info, 1, argv);
  if (inst == NULL) return NULL;

  napi_value result = NULL;
  unsigned char z[FIELD_BYTES];
  unsigned char epk[POINT_BYTES];
  EC_POINT *peer = EC_POINT_new(inst->group);
  EC_KEY *eph = EC_KEY_new();
  if (peer == NULL || eph == NULL || EC_KEY_set_group(eph, inst->group) != 1) {
    fail(env, "ERR_NATIVE", "out of memory", 0);
    goto done;
  }
  if (!decode_point(env, inst, argv[0], peer, "recipient point must be a Uint8Array")) goto done;
  if (EC_KEY_generate_key(eph) != 1 ||
      ECDH_compute_key(z, FIELD_BYTES, peer, eph, NULL) != FIELD_BYTES ||
      EC_POINT_point2oct(inst->group, EC_KEY_get0_public_key(eph), POINT_CONVERSION_UNCOMPRESSED, epk, POINT_BYTES, NULL) != POINT_BYTES) {
    fail(env, "ERR_NATIVE", "P-256 key agreement failed", 0);
    goto done;
  }
  napi_value out, epk_buf, z_buf;
  void *copy;
  if (napi_create_object(env, &out) != napi_ok || napi_create_buffer_copy(env, POINT_BYTES, epk, &copy, &epk_buf) != napi_ok ||
      napi_create_buffer_copy(env, FIELD_BYTES, z, &copy, &z_buf) != napi_ok || napi_set_named_property(env, out, "epk", epk_buf) != napi_ok ||
      napi_set_named_property(env, out, "z", z_buf) != napi_ok) {
    fail(env, "ERR_NATIVE", "could not build the result", 0);
    goto done;
  }
  result = out;
done:
  OPENSSL_cleanse(z, sizeof z);
  EC_KEY_free(eph); /* frees (and clears) the ephemeral private key */
  EC_POINT_free(peer);
  return result;
}

NAPI_MODULE_INIT() {
  Instance *inst = calloc(1, sizeof *inst);
  if (inst == NULL) return NULL;
  inst->group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
  if (inst->group == NULL || napi_set_instance_data(env, inst, free_instance, NULL) != napi_ok) {
    EC_GROUP_free(inst->group);
    free(inst);
    napi_throw_error(env, "ERR_NATIVE", "could not create the P-256 group");
    return NULL;
  }
  napi_value fn, fn2;
  if (napi_create_function(env, "ecdhEphemeral", NAPI_AUTO_LENGTH, ecdh_ephemeral, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "ecdhEphemeral", fn) != napi_ok ||
      napi_create_function(env, "ecdh", NAPI_AUTO_LENGTH, ecdh_static, NULL, &fn2) != napi_ok ||
      napi_set_named_property(env, exports, "ecdh", fn2) != napi_ok) {
    return NULL;
  }
  return exports;
}
