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
// libcoap's OpenSSL backend keeps the coap_session_t in the SSL's app data; these reach it from a
// certificate-verification or info callback.

/// The SSL connection a certificate-verification callback is working for.
static inline SSL *scoap_ssl_of_store(X509_STORE_CTX *store) {
    return (SSL *)X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
}

/// libcoap's session for an SSL connection (SSL_get_app_data is a macro).
static inline void *scoap_ssl_session(const SSL *ssl) { return SSL_get_app_data(ssl); }

#endif
