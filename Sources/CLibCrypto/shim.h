#ifndef SECURECOAP_CLIBCRYPTO_SHIM_H
#define SECURECOAP_CLIBCRYPTO_SHIM_H
#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/crypto.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/bn.h>

/* BIO_get_mem_data is a macro over BIO_ctrl; Swift cannot call macros. */
static inline long scoap_BIO_get_mem_data(BIO *bio, char **data) {
    return BIO_get_mem_data(bio, data);
}

/* OSSL_PARAM constructors take non-const key pointers; these keep the casts in C. */
static inline OSSL_PARAM scoap_param_octets(const char *key, const void *buf, size_t len) {
    return OSSL_PARAM_construct_octet_string(key, (void *)buf, len);
}
static inline OSSL_PARAM scoap_param_utf8(const char *key, const char *value) {
    return OSSL_PARAM_construct_utf8_string(key, (char *)value, 0);
}
static inline OSSL_PARAM scoap_param_end(void) {
    return OSSL_PARAM_construct_end();
}
#endif
