/*
 * The public-key work of a KBS handshake on one native thread of the addon's own, with no
 * JavaScript on it: the release JWE to a P-256 recipient and the ES256 signature of an EAR token.
 *
 * Why: a worker_threads Worker doing the same work spends more CPU on messaging than on the crypto
 * (structured clone of every job and reply, a JavaScript event loop and MessagePort dispatch on both
 * sides). Here a job is a malloc'ed struct: the event loop copies the inputs, queues it under a
 * mutex and wakes the thread; the thread computes and hands it back through a thread-safe function,
 * whose wake-ups coalesce, and the event loop turns it into the promise's value.
 *
 * sealJweAsync(recipient: Uint8Array of 65 bytes, plaintext: Uint8Array)
 *   -> Promise of what sealJwe returns; rejects with a RangeError for a point that is not on P-256.
 * signingKey(pkcs8: Uint8Array) -> an opaque handle for a P-256 private key (PKCS#8 DER); throws a
 *   RangeError for anything else.
 * signEs256Async(key: handle, input: Uint8Array) -> Promise<Buffer> (64 bytes, r || s, as JWS ES256).
 * signJwsAsync(key: handle, input: Uint8Array of `header.payload` in ASCII, point?: Uint8Array of 65 bytes)
 *   -> Promise<{ token, digest, release? }>: the compact JWS `header.payload.signature` as an external
 *   string (its bytes outside V8's heap), and the base64url of its SHA-256. With `point`, also `release`:
 *   an opaque handle to a release prepared for that recipient in the same job (p256_prepare), which
 *   sealPrepared finishes; none when the point is not on P-256.
 *
 * The thread starts with the first job and is joined when the JavaScript environment goes away (the
 * process exits or a Worker that loaded the addon ends). While no job is outstanding it does not keep
 * the process alive.
 */
#include "p256.h"
#include <openssl/x509.h>
#include <pthread.h>

enum { JOB_SEAL = 1, JOB_SIGN = 2, JOB_JWS = 3 };

/*
 * Node-API's external latin1 strings (Node 20.4 and later, still marked experimental there): the
 * string's bytes stay in memory of ours, outside V8's heap. Declared weak so that an older Node
 * loads the addon too, and then gets ordinary strings.
 */
extern napi_status node_api_create_external_string_latin1(napi_env env, char *str, size_t length, napi_finalize finalize_callback, void *finalize_hint,
                                                          napi_value *result, bool *copied) __attribute__((weak));

#define SIG_B64 86 /* base64url of 64 bytes */

typedef struct Job {
  struct Job *next;
  int kind;
  int status;
  napi_deferred deferred;
  unsigned char *data; /* plaintext or signing input, copied */
  size_t data_len;
  unsigned char point[POINT_BYTES];
  size_t point_len;
  EVP_PKEY *key; /* a reference of the job's own */
  P256Sealed sealed;
  unsigned char sig[64];
  char *text; /* JOB_JWS: the compact JWS, malloc'ed */
  size_t text_len;
  unsigned char digest[32]; /* JOB_JWS: SHA-256 of the text */
  int want_release;         /* JOB_JWS: also prepare a release to `point` */
  P256Prepared *prepared;   /* ...made here, handed to JavaScript with the token */
} Job;

typedef struct {
  const Instance *inst;
  pthread_mutex_t lock;
  pthread_cond_t wake;
  Job *head, *tail;
  int waiting; /* the thread is blocked on `wake` (under `lock`) */
  int stop;
  int started;
  pthread_t thread;
  napi_threadsafe_function done;
  size_t outstanding; /* event-loop thread only */
} Runner;

static void free_job(Job *j) {
  if (j->data != NULL) OPENSSL_cleanse(j->data, j->data_len);
  free(j->data);
  if (j->sealed.ct != NULL) OPENSSL_cleanse(j->sealed.ct, j->sealed.ct_len);
  p256_sealed_free(&j->sealed);
  EVP_PKEY_free(j->key);
  free(j->text);
  p256_prepared_free(j->prepared);
  free(j);
}

/* JOB_JWS: the signing input, a dot and the signature in base64url, as one malloc'ed text, and its SHA-256. */
static int jws_text(const Instance *inst, Job *j) {
  unsigned int len = 0;
  j->text = malloc(j->data_len + 1 + SIG_B64);
  if (j->text == NULL) return P256_FAILED;
  memcpy(j->text, j->data, j->data_len);
  j->text[j->data_len] = '.';
  j->text_len = j->data_len + 1 + p256_b64url(j->sig, sizeof j->sig, j->text + j->data_len + 1);
  return EVP_Digest(j->text, j->text_len, j->digest, &len, inst->sha256, NULL) == 1 && len == 32 ? P256_OK : P256_FAILED;
}

static void free_text(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

/*
 * The JWS as a string. A long-lived token (a session keeps it for minutes) then costs V8's heap a
 * small header rather than its ~1.7 KB, which the collector would otherwise promote and, once the
 * session is gone, compact away.
 */
static napi_value jws_text_value(napi_env env, Job *j) {
  napi_value v = NULL;
  bool copied = false;
  if (node_api_create_external_string_latin1 != NULL && node_api_create_external_string_latin1(env, j->text, j->text_len, free_text, NULL, &v, &copied) == napi_ok) {
    j->text = NULL; /* V8's now, or already freed by free_text when it made a copy */
    return v;
  }
  return napi_create_string_latin1(env, j->text, j->text_len, &v) == napi_ok ? v : NULL;
}

static void free_prepared(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  p256_prepared_free(data);
}

/* { token, digest, release? }: the JWS, the base64url of its SHA-256, and the prepared release when asked for one. */
static napi_value jws_value(napi_env env, Job *j) {
  napi_value out, token, digest, release;
  char b64[44];
  size_t n = p256_b64url(j->digest, sizeof j->digest, b64);
  if (napi_create_object(env, &out) != napi_ok || (token = jws_text_value(env, j)) == NULL || napi_set_named_property(env, out, "token", token) != napi_ok ||
      napi_create_string_latin1(env, b64, n, &digest) != napi_ok || napi_set_named_property(env, out, "digest", digest) != napi_ok)
    return NULL;
  if (j->prepared != NULL) {
    /* The handle owns the prepared release from here on; its finalizer clears and frees it. */
    if (napi_create_external(env, j->prepared, free_prepared, NULL, &release) != napi_ok) return NULL;
    j->prepared = NULL;
    if (napi_type_tag_object(env, release, &P256_PREPARED_TAG) != napi_ok || napi_set_named_property(env, out, "release", release) != napi_ok) return NULL;
  }
  return out;
}

/* JOB_JWS with a release wanted: prepare it; a point that is not on P-256 (or a failure) just leaves none. */
static void prepare_release(const Instance *inst, Job *j) {
  P256Prepared *p = malloc(sizeof *p);
  if (p != NULL && p256_prepare(inst, j->point, j->point_len, p) == P256_OK) j->prepared = p;
  else free(p);
}

/* ES256 over `j->data` into `j->sig` (IEEE P1363). */
static int sign_job(const Instance *inst, Job *j) {
  unsigned char der[80];
  size_t der_len = sizeof der;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  ECDSA_SIG *sig = NULL;
  int ok = ctx != NULL && EVP_DigestSignInit(ctx, NULL, inst->sha256, NULL, j->key) == 1 && EVP_DigestSign(ctx, der, &der_len, j->data, j->data_len) == 1;
  if (ok) {
    const unsigned char *p = der;
    const BIGNUM *r = NULL, *s = NULL;
    sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    if (sig != NULL) ECDSA_SIG_get0(sig, &r, &s);
    ok = sig != NULL && BN_bn2binpad(r, j->sig, 32) == 32 && BN_bn2binpad(s, j->sig + 32, 32) == 32;
  }
  ECDSA_SIG_free(sig);
  EVP_MD_CTX_free(ctx);
  return ok ? P256_OK : P256_FAILED;
}

static void *run(void *arg) {
  Runner *r = arg;
  for (;;) {
    pthread_mutex_lock(&r->lock);
    while (r->head == NULL && !r->stop) {
      r->waiting = 1;
      pthread_cond_wait(&r->wake, &r->lock);
      r->waiting = 0;
    }
    if (r->stop) {
      pthread_mutex_unlock(&r->lock);
      return NULL;
    }
    Job *j = r->head;
    r->head = j->next;
    if (r->head == NULL) r->tail = NULL;
    pthread_mutex_unlock(&r->lock);

    if (j->kind == JOB_SEAL) j->status = p256_seal(r->inst, j->point, j->point_len, j->data, j->data_len, &j->sealed);
    else if ((j->status = sign_job(r->inst, j)) == P256_OK && j->kind == JOB_JWS && (j->status = jws_text(r->inst, j)) == P256_OK && j->want_release)
      prepare_release(r->inst, j);
    ERR_clear_error();
    if (napi_call_threadsafe_function(r->done, j, napi_tsfn_blocking) != napi_ok) free_job(j); /* closing */
  }
}

static napi_value error_value(napi_env env, int range, const char *code, const char *message) {
  napi_value c = NULL, m = NULL, err = NULL;
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &c);
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &m);
  if (range) napi_create_range_error(env, c, m, &err);
  else napi_create_error(env, c, m, &err);
  return err;
}

/* On the event loop (env != NULL): settle the job's promise. At teardown (env == NULL): just free it. */
static void finish(napi_env env, napi_value js_cb, void *context, void *data) {
  (void)js_cb;
  Runner *r = context;
  Job *j = data;
  if (env != NULL) {
    napi_value v = NULL;
    void *copy;
    if (j->status == P256_OK) {
      if (j->kind == JOB_SEAL) v = p256_sealed_value(env, &j->sealed);
      else if (j->kind == JOB_JWS) v = jws_value(env, j);
      else if (napi_create_buffer_copy(env, sizeof j->sig, j->sig, &copy, &v) != napi_ok) v = NULL;
    }
    if (v != NULL) napi_resolve_deferred(env, j->deferred, v);
    else if (j->status == P256_BAD_POINT) napi_reject_deferred(env, j->deferred, error_value(env, 1, "ERR_INVALID_ARG_VALUE", "point must be 65 bytes, uncompressed, on P-256"));
    else napi_reject_deferred(env, j->deferred, error_value(env, 0, "ERR_NATIVE", j->kind == JOB_SEAL ? "JWE encryption failed" : "ES256 signing failed"));
    if (--r->outstanding == 0) napi_unref_threadsafe_function(env, r->done);
  }
  free_job(j);
}

static void free_runner(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  Runner *r = data;
  pthread_mutex_destroy(&r->lock);
  pthread_cond_destroy(&r->wake);
  free(r);
}

/* Environment teardown: stop and join the thread, drop jobs it never took, release the function. */
static void stop_runner(void *arg) {
  Runner *r = arg;
  pthread_mutex_lock(&r->lock);
  r->stop = 1;
  Job *left = r->head;
  r->head = r->tail = NULL;
  pthread_cond_signal(&r->wake);
  pthread_mutex_unlock(&r->lock);
  pthread_join(r->thread, NULL);
  while (left != NULL) {
    Job *next = left->next;
    free_job(left);
    left = next;
  }
  /* Jobs already handed back are freed by `finish` (env NULL); `free_runner` runs after them. */
  napi_release_threadsafe_function(r->done, napi_tsfn_release);
}

static int start(napi_env env, Runner *r) {
  if (r->started) return 1;
  napi_value name;
  if (napi_create_string_utf8(env, "coco-crypto-thread", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_threadsafe_function(env, NULL, NULL, name, 0, 1, r, free_runner, r, finish, &r->done) != napi_ok)
    return 0;
  napi_unref_threadsafe_function(env, r->done);
  if (pthread_create(&r->thread, NULL, run, r) != 0) {
    /* The function's finalizer frees the runner: there is no runner from here on. */
    napi_release_threadsafe_function(r->done, napi_tsfn_abort);
    return -1;
  }
  if (napi_add_env_cleanup_hook(env, stop_runner, r) != napi_ok) {
    stop_runner(r);
    return -1;
  }
  r->started = 1;
  return 1;
}

/* Queue `j` and return its promise; NULL after throwing (`j` is freed then). */
static napi_value submit(napi_env env, Runner **slot, Job *j) {
  Runner *r = *slot;
  int started = r == NULL ? -1 : start(env, r);
  if (started != 1) {
    if (started == -1) *slot = NULL;
    free_job(j);
    return p256_fail(env, "ERR_NATIVE", "the crypto thread could not start", 0);
  }
  napi_value promise;
  if (napi_create_promise(env, &j->deferred, &promise) != napi_ok) {
    free_job(j);
    return p256_fail(env, "ERR_NATIVE", "could not create a promise", 0);
  }
  if (r->outstanding++ == 0) napi_ref_threadsafe_function(env, r->done);
  pthread_mutex_lock(&r->lock);
  if (r->tail != NULL) r->tail->next = j;
  else r->head = j;
  r->tail = j;
  int sleeping = r->waiting;
  pthread_mutex_unlock(&r->lock);
  /*
   * Wake the thread only when it is blocked, and after unlocking: signalled under the lock, it would
   * wake only to block on the lock and need a second wake-up. On a VM each wake-up of an idle vCPU
   * is an interrupt the hypervisor delivers, tens of microseconds of this thread's time.
   */
  if (sleeping) pthread_cond_signal(&r->wake);
  return promise;
}

/* The runner of this environment (in the addon's instance data). */
static Runner **runner_of(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  Instance *inst = p256_instance_of(env, info, want, argv);
  return inst == NULL ? NULL : (Runner **)&inst->thread;
}

/* A job with a private copy of the bytes argument `v`; NULL after throwing. */
static Job *new_job(napi_env env, int kind, napi_value v, const char *what) {
  size_t len = 0;
  const unsigned char *bytes = p256_uint8_arg(env, v, &len, what);
  if (bytes == NULL) return NULL;
  Job *j = calloc(1, sizeof *j);
  if (j != NULL) j->data = malloc(len + 1);
  if (j == NULL || j->data == NULL) {
    if (j != NULL) free(j);
    p256_fail(env, "ERR_NATIVE", "out of memory", 0);
    return NULL;
  }
  memcpy(j->data, bytes, len);
  j->data_len = len;
  j->kind = kind;
  return j;
}

static napi_value seal_async(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  Runner **slot = runner_of(env, info, 2, argv);
  if (slot == NULL) return NULL;
  size_t point_len = 0;
  const unsigned char *point = p256_uint8_arg(env, argv[0], &point_len, "recipient point must be a Uint8Array");
  if (point == NULL) return NULL;
  if (point_len != POINT_BYTES) return p256_fail(env, "ERR_INVALID_ARG_VALUE", "point must be 65 bytes, uncompressed, on P-256", 2);
  Job *j = new_job(env, JOB_SEAL, argv[1], "plaintext must be a Uint8Array");
  if (j == NULL) return NULL;
  if (j->data_len > (size_t)INT_MAX - 32) {
    free_job(j);
    return p256_fail(env, "ERR_INVALID_ARG_VALUE", "plaintext is too large", 2);
  }
  memcpy(j->point, point, POINT_BYTES);
  j->point_len = POINT_BYTES;
  return submit(env, slot, j);
}

static void free_key(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  EVP_PKEY_free(data);
}

/* Tags the handles signingKey makes, so that signEs256Async takes no other external. */
static const napi_type_tag KEY_TAG = {0x636f636f2d747300ULL, 0x65733235366b6579ULL};

static napi_value signing_key(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (runner_of(env, info, 1, argv) == NULL) return NULL;
  size_t len = 0;
  const unsigned char *der = p256_uint8_arg(env, argv[0], &len, "key must be PKCS#8 DER in a Uint8Array");
  if (der == NULL) return NULL;
  const unsigned char *p = der;
  PKCS8_PRIV_KEY_INFO *p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)len);
  EVP_PKEY *key = p8 != NULL && p == der + len ? EVP_PKCS82PKEY(p8) : NULL;
  PKCS8_PRIV_KEY_INFO_free(p8);
  char group[32] = {0};
  size_t group_len = 0;
  int p256 = key != NULL && EVP_PKEY_is_a(key, "EC") && EVP_PKEY_get_group_name(key, group, sizeof group, &group_len) == 1 &&
             strcmp(group, "prime256v1") == 0;
  ERR_clear_error();
  if (!p256) {
    EVP_PKEY_free(key);
    return p256_fail(env, "ERR_INVALID_ARG_VALUE", "key must be a P-256 private key in PKCS#8 DER", 2);
  }
  napi_value out;
  if (napi_create_external(env, key, free_key, NULL, &out) != napi_ok || napi_type_tag_object(env, out, &KEY_TAG) != napi_ok) {
    EVP_PKEY_free(key);
    return p256_fail(env, "ERR_NATIVE", "could not build the key handle", 0);
  }
  return out;
}

static napi_value sign_kind(napi_env env, napi_callback_info info, int kind) {
  napi_value argv[3];
  Runner **slot = runner_of(env, info, kind == JOB_JWS ? 3 : 2, argv);
  if (slot == NULL) return NULL;
  bool tagged = false;
  void *key = NULL;
  if (napi_check_object_type_tag(env, argv[0], &KEY_TAG, &tagged) != napi_ok || !tagged || napi_get_value_external(env, argv[0], &key) != napi_ok)
    return p256_fail(env, "ERR_INVALID_ARG_TYPE", "key must be a handle from signingKey", 1);
  Job *j = new_job(env, kind, argv[1], "input must be a Uint8Array");
  if (j == NULL) return NULL;
  if (kind == JOB_JWS) {
    napi_valuetype t = napi_undefined;
    if (napi_typeof(env, argv[2], &t) != napi_ok) t = napi_undefined;
    if (t != napi_undefined) {
      size_t point_len = 0;
      const unsigned char *point = p256_uint8_arg(env, argv[2], &point_len, "release point must be a Uint8Array");
      if (point == NULL || point_len != POINT_BYTES) {
        free_job(j);
        return point == NULL ? NULL : p256_fail(env, "ERR_INVALID_ARG_VALUE", "release point must be 65 bytes, uncompressed", 2);
      }
      memcpy(j->point, point, POINT_BYTES);
      j->point_len = POINT_BYTES;
      j->want_release = 1;
    }
  }
  if (EVP_PKEY_up_ref(key) != 1) {
    free_job(j);
    return p256_fail(env, "ERR_NATIVE", "could not reference the key", 0);
  }
  j->key = key;
  return submit(env, slot, j);
}

static napi_value sign_async(napi_env env, napi_callback_info info) {
  return sign_kind(env, info, JOB_SIGN);
}

static napi_value jws_async(napi_env env, napi_callback_info info) {
  return sign_kind(env, info, JOB_JWS);
}

void p256_thread_free(void *thread) {
  Runner *r = thread;
  /* A runner that started is freed with its thread-safe function, after its thread is joined. */
  if (r != NULL && !r->started) free_runner(NULL, r, NULL);
}

int p256_thread_init(napi_env env, napi_value exports, Instance *inst) {
  Runner *r = calloc(1, sizeof *r);
  if (r == NULL) return 0;
  r->inst = inst;
  pthread_mutex_init(&r->lock, NULL);
  pthread_cond_init(&r->wake, NULL);
  inst->thread = r;
  static const struct {
    const char *name;
    napi_callback cb;
  } FNS[] = {{"sealJweAsync", seal_async}, {"signingKey", signing_key}, {"signEs256Async", sign_async}, {"signJwsAsync", jws_async}};
  for (size_t i = 0; i < sizeof FNS / sizeof FNS[0]; i++) {
    napi_value fn;
    if (napi_create_function(env, FNS[i].name, NAPI_AUTO_LENGTH, FNS[i].cb, NULL, &fn) != napi_ok ||
        napi_set_named_property(env, exports, FNS[i].name, fn) != napi_ok)
      return 0;
  }
  return 1;
}
