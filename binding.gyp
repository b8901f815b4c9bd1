{
  "targets": [
    {
      "target_name": "p256_ecdh",
      "sources": ["native/p256_ecdh.c", "native/crypto_thread.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-fvisibility=hidden", "-pthread"],
      "ldflags": ["-pthread"]
    }
  ]
}
