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

/// Adds the loop's wake eventfd to libcoap's epoll set, so that the loop blocks in one
/// epoll_wait for datagrams, libcoap's timerfd and its own jobs alike (a poll() on the epoll fd
/// and the eventfd costs a nested wake-up and an extra system call per request). Edge-triggered,
/// with a NULL data pointer: coap_io_do_epoll takes an event whose pointer is NULL for its own
/// timerfd (it reads that non-blocking timerfd and re-arms its timers, which is harmless), so it
/// may see ours too; each write to the eventfd is one edge, so the counter is never read.
static inline int scoap_epoll_add_wake(int epfd, int wakefd) {
    struct epoll_event event;
    memset(&event, 0, sizeof(event));
    event.events = EPOLLIN | EPOLLET;
    event.data.ptr = NULL;
    return epoll_ctl(epfd, EPOLL_CTL_ADD, wakefd, &event);
}

/// Waits until libcoap's epoll set has something ready, or `timeout_ms` passes (-1: no limit).
/// Takes no readiness away from coap_io_process: libcoap's descriptors are level-triggered, so
/// its own epoll_wait reports them again; only the wake eventfd's edge is used up here.
static inline int scoap_epoll_wait_ready(int epfd, int timeout_ms) {
    struct epoll_event event;
    return epoll_wait(epfd, &event, 1, timeout_ms);
}

/// Handles input that is ready now, up to `rounds` epoll batches, without coap_io_process's
/// coap_expire_cache_entries and coap_check_async; the caller runs coap_io_process again soon
/// after, which does those. Returns the events handled, or -1 when it stopped at a batch holding
/// an event with a NULL data pointer (the loop's wake eventfd, or libcoap's timerfd): nothing of
/// that batch goes to libcoap, so the loop runs its jobs before the datagrams that came with the
/// wake-up, which coap_io_process then polls again (libcoap's sockets are level-triggered).
/// Not saved: in libcoap 4.3.1 coap_io_do_epoll itself ends every batch with
/// coap_io_prepare_epoll (a scan of every session's timers and a timerfd_settime), so each
/// round here costs that scan too.
/// (struct epoll_event is packed on x86-64: kept on the C side.)
static inline int scoap_io_drain_ready(coap_context_t *ctx, int rounds) {
    struct epoll_event events[16];
    int handled = 0;
    int fd = coap_context_get_coap_fd(ctx);
    for (int i = 0; i < rounds; i++) {
        int n = epoll_wait(fd, events, 16, 0);
        if (n <= 0) break;
        for (int j = 0; j < n; j++) {
            if (events[j].data.ptr == NULL) return -1;
        }
        coap_io_do_epoll(ctx, events, (size_t)n);
        handled += n;
    }
    return handled;
}

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
