// Shims for the parts of libcoap 4.3.1 that Swift cannot import or call directly:
// function-like and variadic macros, integer macros that import as the wrong type, and
// eventfd (not in Swift's Glibc module).
#ifndef SECURECOAP_CLIBCOAP_SHIM_H
#define SECURECOAP_CLIBCOAP_SHIM_H

#include <coap3/coap.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <stdint.h>
#include <string.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

/// COAP_IO_NO_WAIT imports but does not compile ((uint32_t)-1).
static inline uint32_t scoap_io_no_wait(void) { return COAP_IO_NO_WAIT; }

/// COAP_TICKS_PER_SECOND is not imported.
static inline coap_tick_t scoap_ticks_per_second(void) { return COAP_TICKS_PER_SECOND; }

/// COAP_RESPONSE_CODE(N) for a dotted code such as 404 (class 4, detail 04).
static inline coap_pdu_code_t scoap_response_code(int n) {
    return (coap_pdu_code_t)COAP_RESPONSE_CODE(n);
}

/// coap_log is a variadic macro; pass a preformatted string.
static inline void scoap_log(coap_log_t level, const char *message) {
    coap_log(level, "%s\n", message);
}

static inline int scoap_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

/// The most epoll events the loop takes per wait.
#define SCOAP_MAX_EVENTS 16
static inline int scoap_max_events(void) { return SCOAP_MAX_EVENTS; }

/// Adds the loop's wake eventfd to libcoap's epoll set, edge-triggered, with `marker` as its data
/// pointer: libcoap's own events carry NULL (its timerfd) or a coap_socket_t, so the loop tells
/// its wake-up apart and never hands it to coap_io_do_epoll.
static inline int scoap_epoll_add_wake(int epfd, int wakefd, void *marker) {
    struct epoll_event event;
    memset(&event, 0, sizeof(event));
    event.events = EPOLLIN | EPOLLET;
    event.data.ptr = marker;
    return epoll_ctl(epfd, EPOLL_CTL_ADD, wakefd, &event);
}

/// epoll_wait into two arrays: struct epoll_event is packed on x86-64 and does not import into
/// Swift with that layout.
static inline int scoap_epoll_wait(int epfd, void **ptrs, uint32_t *masks, int max, int timeout_ms) {
    struct epoll_event events[SCOAP_MAX_EVENTS];
    int n = epoll_wait(epfd, events, max < SCOAP_MAX_EVENTS ? max : SCOAP_MAX_EVENTS, timeout_ms);
    for (int i = 0; i < n; i++) {
        ptrs[i] = events[i].data.ptr;
        masks[i] = events[i].events;
    }
    return n;
}

/// coap_io_do_epoll over events given as two arrays (see scoap_epoll_wait).
static inline void scoap_io_do_epoll(coap_context_t *ctx, void *const *ptrs, const uint32_t *masks, int n) {
    struct epoll_event events[SCOAP_MAX_EVENTS];
    if (n > SCOAP_MAX_EVENTS) n = SCOAP_MAX_EVENTS;
    for (int i = 0; i < n; i++) {
        events[i].events = masks[i];
        events[i].data.ptr = ptrs[i];
    }
    coap_io_do_epoll(ctx, events, (size_t)n);
}

/// The descriptor of the coap_socket_t that one of libcoap's epoll events points to. libcoap
/// 4.3.1 does not install coap_io_internal.h; there, on POSIX builds, coap_socket_t starts with
/// its descriptor.
static inline int scoap_socket_fd(const void *socket) { return *(const coap_fd_t *)socket; }

// MARK: OpenSSL, for the DTLS checks libcoap leaves to the application.
// libcoap's OpenSSL backend keeps the coap_session_t in the SSL's app data; these helpers reach
// it from a certificate-verification or info callback, and read certificates.

/// The SSL connection a certificate-verification callback is working for.
static inline SSL *scoap_ssl_of_store(X509_STORE_CTX *store) {
    return (SSL *)X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
}

/// libcoap's session for an SSL connection (SSL_get_app_data is a macro).
static inline void *scoap_ssl_session(const SSL *ssl) { return SSL_get_app_data(ssl); }

/// The subject's common name, or an empty string.
static inline int scoap_x509_common_name(X509 *cert, char *buffer, int size) {
    buffer[0] = 0;
    return X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buffer, size);
}

/// The number of subjectAltName entries, and each one as text: DNS names as they are, IP
/// addresses in dotted or colon form, URIs as they are. Returns the kind (GEN_DNS, GEN_IPADD,
/// GEN_URI) or -1 for entries of other kinds.
static inline int scoap_x509_san_count(X509 *cert) {
    GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    if (!names) return 0;
    int n = sk_GENERAL_NAME_num(names);
    GENERAL_NAMES_free(names);
    return n;
}
static inline int scoap_x509_san_at(X509 *cert, int index, char *buffer, int size) {
    buffer[0] = 0;
    GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    if (!names) return -1;
    int kind = -1;
    if (index < sk_GENERAL_NAME_num(names)) {
        GENERAL_NAME *name = sk_GENERAL_NAME_value(names, index);
        if (name->type == GEN_DNS || name->type == GEN_URI) {
            ASN1_IA5STRING *s = name->type == GEN_DNS ? name->d.dNSName : name->d.uniformResourceIdentifier;
            int len = ASN1_STRING_length(s) < size - 1 ? ASN1_STRING_length(s) : size - 1;
            memcpy(buffer, ASN1_STRING_get0_data(s), (size_t)len);
            buffer[len] = 0;
            kind = name->type;
        } else if (name->type == GEN_IPADD) {
            const unsigned char *ip = ASN1_STRING_get0_data(name->d.iPAddress);
            int len = ASN1_STRING_length(name->d.iPAddress);
            if (len == 4) { BIO_snprintf(buffer, (size_t)size, "%d.%d.%d.%d", ip[0], ip[1], ip[2], ip[3]); kind = GEN_IPADD; }
            else if (len == 16) {
                int at = 0;
                for (int i = 0; i < 16; i += 2) at += BIO_snprintf(buffer + at, (size_t)(size - at), i ? ":%x" : "%x", (ip[i] << 8) | ip[i + 1]);
                kind = GEN_IPADD;
            }
        }
    }
    GENERAL_NAMES_free(names);
    return kind;
}

/// SHA-256 over the DER encoding (the certificate's fingerprint).
static inline int scoap_x509_sha256(X509 *cert, unsigned char out[32]) {
    unsigned int len = 32;
    return X509_digest(cert, EVP_sha256(), out, &len);
}

/// The DER encoding's length, and the encoding itself.
static inline int scoap_x509_der(X509 *cert, unsigned char *out) { return i2d_X509(cert, out ? &out : NULL); }

/// A throw-away self-signed P-256 certificate and key, as PEM. libcoap 4.3.1 will not start a
/// certificate-based client session without a certificate of its own; a client that has none is
/// given this one, which is then removed from the connection before it could be sent.
static inline int scoap_throwaway_pem(char *cert, int cert_size, char *key, int key_size) {
    EVP_PKEY *pkey = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    if (!pkey || !x) { EVP_PKEY_free(pkey); X509_free(x); return 0; }
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, pkey);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"securecoap-anonymous", -1, -1, 0);
    X509_set_issuer_name(x, name);
    int ok = X509_sign(x, pkey, EVP_sha256()) > 0;
    BIO *b = BIO_new(BIO_s_mem());
    ok = ok && PEM_write_bio_X509(b, x);
    int n = BIO_read(b, cert, cert_size - 1);
    cert[n > 0 ? n : 0] = 0;
    BIO_free(b);
    b = BIO_new(BIO_s_mem());
    ok = ok && PEM_write_bio_PrivateKey(b, pkey, NULL, NULL, 0, NULL, NULL);
    n = BIO_read(b, key, key_size - 1);
    key[n > 0 ? n : 0] = 0;
    BIO_free(b);
    X509_free(x);
    EVP_PKEY_free(pkey);
    return ok;
}

#endif
