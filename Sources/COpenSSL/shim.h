#ifndef COPENSSL_SHIM_H
#define COPENSSL_SHIM_H
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/sha.h>

// The SHA-1 and SHA-2 context functions are deprecated in OpenSSL 3.0 in favour of EVP, but EVP
// allocates on every digest initialisation. These wrappers let the packet HMAC keep its inner and
// outer states as plain structs that are copied per packet, so it allocates nothing.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static inline int copenssl_sha1_init(SHA_CTX *c) { return SHA1_Init(c); }
static inline int copenssl_sha1_update(SHA_CTX *c, const void *d, size_t n) { return SHA1_Update(c, d, n); }
static inline int copenssl_sha1_final(unsigned char *md, SHA_CTX *c) { return SHA1_Final(md, c); }
static inline int copenssl_sha256_init(SHA256_CTX *c) { return SHA256_Init(c); }
static inline int copenssl_sha224_init(SHA256_CTX *c) { return SHA224_Init(c); }
static inline int copenssl_sha256_update(SHA256_CTX *c, const void *d, size_t n) { return SHA256_Update(c, d, n); }
static inline int copenssl_sha256_final(unsigned char *md, SHA256_CTX *c) { return SHA256_Final(md, c); }
static inline int copenssl_sha224_final(unsigned char *md, SHA256_CTX *c) { return SHA224_Final(md, c); }
static inline int copenssl_sha512_init(SHA512_CTX *c) { return SHA512_Init(c); }
static inline int copenssl_sha384_init(SHA512_CTX *c) { return SHA384_Init(c); }
static inline int copenssl_sha512_update(SHA512_CTX *c, const void *d, size_t n) { return SHA512_Update(c, d, n); }
static inline int copenssl_sha512_final(unsigned char *md, SHA512_CTX *c) { return SHA512_Final(md, c); }
static inline int copenssl_sha384_final(unsigned char *md, SHA512_CTX *c) { return SHA384_Final(md, c); }
#pragma GCC diagnostic pop
#endif
