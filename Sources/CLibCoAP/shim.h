// Shims for the parts of libcoap 4.3.1 that Swift cannot import or call directly:
// function-like and variadic macros, integer macros that import as the wrong type, and
// eventfd (not in Swift's Glibc module).
#ifndef SECURECOAP_CLIBCOAP_SHIM_H
#define SECURECOAP_CLIBCOAP_SHIM_H

#include <coap3/coap.h>
#include <sys/eventfd.h>
#include <stdint.h>

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

#endif
