{
  "targets": [
    {
      "target_name": "p256_ecdh",
      "sources": ["native/p256_ecdh.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
