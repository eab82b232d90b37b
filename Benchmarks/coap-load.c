/*
 * coap-load -- a closed-loop CoAP load generator over libcoap 4.3.1's client API.
 *
 *   gcc -O2 -o Benchmarks/coap-load Benchmarks/coap-load.c $(pkg-config --cflags --libs libcoap-3-openssl)
 *   Benchmarks/coap-load [-k K] [-s S] [-d SEC] [-w SEC] [-n] [-T MS] [-m MSGS] [-P PID]
 *                        [-i IDENTITY -K KEY [-N]] HOST PORT PATH
 *
 * S client sessions (each bound to its own ephemeral local port) each keep K GET requests in
 * flight: every response on a session sends that session's next request. A session starts with
 * one request and adds one more per response until K are in flight (no burst of S*K datagrams at
 * start). One thread runs coap_io_process() with a short (10 ms) timeout.
 *
 *   -k K     requests in flight per session (default 1)
 *   -s S     sessions (default 1)
 *   -d SEC   measured duration (default 5)
 *   -w SEC   warm-up before measuring (default 1)
 *   -n       NON requests instead of CON
 *   -T MS    a NON request with no response after MS milliseconds is lost: counted as an error
 *            and replaced (default 1000). CON requests are left to libcoap's retransmission;
 *            when it gives up (nack handler), that is an error.
 *   -m MSGS  a session that has sent MSGS requests is drained and replaced by a new one on a new
 *            local port, so a peer pair never comes near its 65,536 message IDs (default 30000)
 *   -P PID   also report that process's CPU time (the server's) over the measured window
 *   -i ID    DTLS with a pre-shared key: every session is a DTLS session (PORT is then the
 *   -K KEY   server's DTLS port) with this PSK identity and key (text). The handshake of each
 *            session is part of its first request's latency. An ID holding "%d" is a template:
 *            session j uses it with j (with -f: j's device index), e.g. -i bench-%d.
 *   -f FILE  POST sealed readings instead of GET: FILE (written by `ingest-bench`) holds, per
 *            device, messages to send in order (COSE_Encrypt0, Content-Format 16); session j
 *            sends device j's messages (j modulo the device count), each message once. A session
 *            whose device has none left stops (reported as exhausted=N).
 *   -H SEC   hold: open S sessions (at most 64 handshaking at once), one GET each, then keep
 *            them all open and idle for SEC seconds (servicing DTLS timers) and exit; prints
 *            "ready sessions=N of S" on stderr when the last has its response (or, when a few
 *            handshakes were lost, once at least 99.9% have answered and nothing moved for
 *            10 s), so a script can read the server's memory. With -i: N idle DTLS sessions.
 *   -I MS    paced, as sleepy nodes report: a session sends its next request MS milliseconds after
 *            its last one was answered (or given up), instead of at once; sessions are opened one
 *            by one over the warm-up (at most 64 handshaking at once), so the run starts with
 *            every session open. Implies -k 1. Also prints the whole run's totals
 *            (ok_total, errors_total) after the window's figures.
 *   -N       new sessions: every request runs on a session of its own, which is closed (DTLS
 *            close_notify) as soon as its response arrives and replaced by a new one on a new
 *            local port. With -i, rps is then full DTLS handshakes plus one GET per second.
 *            Implies -k 1 and -m 1.
 *
 * CON and NSTART: libcoap 4.3.1 holds back a CON request while NSTART CON requests are
 * outstanding on the session (default NSTART is 1, so K>1 would be serialised). We call
 * coap_session_set_nstart(session, K) so the K requests really are in flight; NON requests are
 * not limited by NSTART.
 *
 * Output (stdout), one line:
 *   rps=.. p50_us=.. p99_us=.. p999_us=.. ok=N errors=M late=L srv_cpu_us=.. srv_cpu_pct=..
 *   cli_cpu_us=.. cli_cpu_pct=.. host_busy_pct=.. steal_pct=.. sessions=.. send_fail=..
 * rps counts successful (2.xx) responses that arrived inside the measured window; latencies are
 * send->response of those. errors are non-2.xx responses, nacks and NON timeouts inside the
 * window; late are responses whose request had already been timed out. srv_cpu_us / cli_cpu_us
 * are CPU microseconds per successful request (server: from /proc/PID/stat; client: getrusage).
 * host_busy_pct is the whole machine's busy time (all CPUs, /proc/stat) and steal_pct the
 * hypervisor's steal, both in % of one CPU: host_busy - srv_cpu_pct - cli_cpu_pct is what other
 * processes took during the window.
 */
#define _GNU_SOURCE
#include <coap3/coap.h>

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

typedef struct {
  uint8_t token[8]; /* the request's token (coap_session_new_token: at most 8 bytes) */
  uint8_t token_len;
  uint8_t used;
  uint64_t sent_ns; /* monotonic send time */
} slot_t;

/* -f: per device, the sealed messages still to send */
typedef struct {
  uint8_t **msgs;
  uint16_t *lens;
  uint32_t count, next;
} device_stream_t;

typedef struct {
  coap_session_t *session;
  device_stream_t *stream; /* -f: this session's device */
  slot_t *slots;     /* K slots */
  int inflight;
  uint64_t sent;     /* requests sent on this coap session */
  int retiring;      /* sent >= max: drain, then replace */
  int opened;        /* -I: the session has been opened */
  uint64_t due_ns;   /* -I: when the next request (or the opening) is due */
} load_session_t;

/* configuration */
static int cfg_k = 1, cfg_s = 1, cfg_non = 0, cfg_new_sessions = 0;
static double cfg_hold = 0; /* -H: seconds to hold S idle sessions */
static uint64_t cfg_interval_ns = 0; /* -I: pause between a session's requests */
static uint64_t n_ok_total = 0, n_err_total = 0; /* over the whole run */
static int hold_opened = 0, hold_answered = 0;
static const char *cfg_identity = NULL, *cfg_key = NULL;

static device_stream_t *streams = NULL;
static uint32_t stream_count = 0;
static uint64_t n_exhausted = 0;
static double cfg_duration = 5.0, cfg_warmup = 1.0;
static uint64_t cfg_timeout_ns = 1000ull * 1000000ull;
static uint64_t cfg_max_per_session = 30000;
static long cfg_pid = 0;
static char *path_segments[32];
static int path_count = 0;

/* state */
static coap_context_t *ctx;
static coap_address_t server_addr, local_addr;
static load_session_t *sessions;
static uint64_t t_measure_start, t_measure_end;
static int stopping = 0;

/* results */
static uint32_t *lat_ns = NULL; /* latencies in the window, ns (capped at ~4.29 s) */
static size_t lat_count = 0, lat_cap = 0;
static uint64_t n_ok = 0, n_err = 0, n_late = 0, n_send_fail = 0, n_sessions_opened = 0;
static uint64_t n_nack[8];     /* by coap_nack_reason_t, over the whole run */
static uint64_t n_timeout = 0; /* NON requests given up, over the whole run */

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int in_window(uint64_t t) { return t >= t_measure_start && t < t_measure_end; }

static void record_latency(uint64_t ns) {
  if (lat_count == lat_cap) {
    lat_cap = lat_cap ? lat_cap * 2 : (1u << 20);
    lat_ns = realloc(lat_ns, lat_cap * sizeof(*lat_ns));
    if (!lat_ns) { fprintf(stderr, "coap-load: out of memory\n"); exit(2); }
  }
  lat_ns[lat_count++] = ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
}

/* Sends one GET on slot i of session ls. Returns 0 on success. */
static int send_request(load_session_t *ls, int i) {
  coap_session_t *s = ls->session;
  device_stream_t *ds = ls->stream;
  if (ds && ds->next >= ds->count) { n_exhausted++; return -1; }
  coap_pdu_t *pdu = coap_pdu_init(cfg_non ? COAP_MESSAGE_NON : COAP_MESSAGE_CON,
                                  ds ? COAP_REQUEST_CODE_POST : COAP_REQUEST_CODE_GET,
                                  coap_new_message_id(s), coap_session_max_pdu_size(s));
  if (!pdu) return -1;
  uint8_t tok[8];
  size_t toklen = 0;
  coap_session_new_token(s, &toklen, tok);
  if (!coap_add_token(pdu, toklen, tok)) { coap_delete_pdu(pdu); return -1; }
  for (int p = 0; p < path_count; p++) {
    coap_add_option(pdu, COAP_OPTION_URI_PATH, strlen(path_segments[p]),
                    (const uint8_t *)path_segments[p]);
  }
  if (ds) {
    uint8_t cf[4];
    coap_add_option(pdu, COAP_OPTION_CONTENT_FORMAT, coap_encode_var_safe(cf, sizeof(cf), 16), cf);
    coap_add_data(pdu, ds->lens[ds->next], ds->msgs[ds->next]);
    ds->next++;
  }
  slot_t *sl = &ls->slots[i];
  memcpy(sl->token, tok, toklen);
  sl->token_len = (uint8_t)toklen;
  sl->sent_ns = now_ns();
  sl->used = 1;
  ls->inflight++;
  ls->sent++;
  if (coap_send(s, pdu) == COAP_INVALID_MID) { /* coap_send frees the PDU either way */
    sl->used = 0;
    ls->inflight--;
    n_send_fail++;
    return -1;
  }
  return 0;
}

/* After slot i of ls has finished: send its successor unless the run is over or the session is
 * being replaced. While the session is still ramping up (fewer than K in flight), send one more
 * as well: a new session starts with one request and doubles, instead of bursting K requests at
 * once (S*K datagrams at once overflow the server's socket buffer on loopback). */
static void refill(load_session_t *ls, int i) {
  if (stopping) return;
  if (cfg_interval_ns) { ls->due_ns = now_ns() + cfg_interval_ns; return; } /* sent by pace() */
  if (cfg_hold > 0) { hold_answered++; return; } /* one request per held session */
  if (ls->sent >= cfg_max_per_session) { ls->retiring = 1; return; }
  send_request(ls, i);
  if (ls->inflight < cfg_k) {
    for (int j = 0; j < cfg_k; j++) {
      if (!ls->slots[j].used) { send_request(ls, j); break; }
    }
  }
}

static load_session_t *owner(coap_session_t *s) {
  return (load_session_t *)coap_session_get_app_data(s);
}

/* The slot whose request carried this token (the per-session token -> send-time map). */
static int find_slot(load_session_t *ls, coap_bin_const_t tok) {
  if (tok.length > 8) return -1;
  for (int i = 0; i < cfg_k; i++) {
    slot_t *sl = &ls->slots[i];
    if (sl->used && sl->token_len == tok.length && memcmp(sl->token, tok.s, tok.length) == 0)
      return i;
  }
  return -1;
}

static coap_response_t on_response(coap_session_t *session, const coap_pdu_t *sent,
                                   const coap_pdu_t *received, const coap_mid_t mid) {
  (void)sent; (void)mid;
  load_session_t *ls = owner(session);
  if (!ls) return COAP_RESPONSE_OK;
  coap_bin_const_t tok = coap_pdu_get_token(received);
  int i = find_slot(ls, tok);
  uint64_t t = now_ns();
  if (i < 0) {
    if (in_window(t)) n_late++;
    return COAP_RESPONSE_OK;
  }
  slot_t *sl = &ls->slots[i];
  sl->used = 0;
  ls->inflight--;
  if (COAP_RESPONSE_CLASS(coap_pdu_get_code(received)) == 2) n_ok_total++;
  else n_err_total++;
  if (in_window(t)) {
    if (COAP_RESPONSE_CLASS(coap_pdu_get_code(received)) == 2) {
      n_ok++;
      record_latency(t - sl->sent_ns);
    } else {
      n_err++;
    }
  }
  refill(ls, i);
  return COAP_RESPONSE_OK;
}

/* A CON request libcoap gave up on (retries exhausted, RST, ICMP error). The slot is not refilled
 * here: the next response on the session tops it up, or housekeeping restarts an idle session
 * every 20 ms, so an unreachable server is not hammered in a tight loop. */
static void on_nack(coap_session_t *session, const coap_pdu_t *sent,
                    const coap_nack_reason_t reason, const coap_mid_t mid) {
  (void)mid;
  n_nack[reason < 8 ? reason : 7]++;
  load_session_t *ls = owner(session);
  if (!ls || !sent) return;
  coap_bin_const_t tok = coap_pdu_get_token(sent);
  int i = find_slot(ls, tok);
  if (i < 0) return;
  ls->slots[i].used = 0;
  ls->inflight--;
  n_err_total++;
  if (in_window(now_ns())) n_err++;
  if (cfg_interval_ns) ls->due_ns = now_ns() + cfg_interval_ns;
  if (cfg_new_sessions) ls->retiring = 1; /* replaced (after the next coap_io_process) */
}

static coap_session_t *new_session(int index) {
  if (!cfg_identity) return coap_new_client_session(ctx, &local_addr, &server_addr, COAP_PROTO_UDP);
  static char identity[128]; /* libcoap copies it into the session */
  if (strstr(cfg_identity, "%d")) snprintf(identity, sizeof(identity), cfg_identity, index);
  else snprintf(identity, sizeof(identity), "%s", cfg_identity);
  coap_dtls_cpsk_t cpsk;
  memset(&cpsk, 0, sizeof(cpsk));
  cpsk.version = COAP_DTLS_CPSK_SETUP_VERSION;
  cpsk.psk_info.identity.s = (const uint8_t *)identity;
  cpsk.psk_info.identity.length = strlen(identity);
  cpsk.psk_info.key.s = (const uint8_t *)cfg_key;
  cpsk.psk_info.key.length = strlen(cfg_key);
  return coap_new_client_session_psk2(ctx, &local_addr, &server_addr, COAP_PROTO_DTLS, &cpsk);
}

static int open_session(load_session_t *ls) {
  /* A new socket can get the local port of a session libcoap has not freed yet (released while
   * libcoap still holds a reference to it); libcoap then refuses the new session as a duplicate.
   * Another socket gets another port. */
  coap_session_t *s = NULL;
  int index = (int)(ls - sessions);
  if (streams) index = (int)((uint32_t)index % stream_count);
  for (int attempt = 0; attempt < 20 && !s; attempt++) s = new_session(index);
  if (!s) return -1;
  if (!cfg_non && cfg_k > 1) {
    coap_session_set_nstart(s, (uint16_t)cfg_k);
    if (coap_session_get_nstart(s) != (uint16_t)cfg_k) {
      fprintf(stderr, "coap-load: NSTART stays %u; CON requests beyond it are queued by libcoap\n",
              coap_session_get_nstart(s));
    }
  }
  coap_session_set_app_data(s, ls);
  ls->session = s;
  ls->inflight = 0;
  ls->sent = 0;
  ls->retiring = 0;
  memset(ls->slots, 0, sizeof(slot_t) * (size_t)cfg_k);
  n_sessions_opened++;
  send_request(ls, 0); /* the rest follow as responses arrive (see refill) */
  return 0;
}

/* A retiring session with nothing in flight is released (for DTLS: close_notify) and a new one
 * opened in its place. Never called from a libcoap handler: the session must not be freed under
 * libcoap's feet, so this runs after coap_io_process returns. */
static void replace_if_drained(load_session_t *ls) {
  if (!ls->retiring || ls->inflight != 0 || stopping) return;
  coap_session_set_app_data(ls->session, NULL);
  coap_session_release(ls->session);
  ls->session = NULL;
  if (open_session(ls) != 0) {
    fprintf(stderr, "coap-load: cannot open a replacement session\n");
    exit(2);
  }
}

/* NON loss detection, session replacement and retry of failed sends; main loop only. */
static void housekeeping(uint64_t t) {
  for (int j = 0; j < cfg_s; j++) {
    load_session_t *ls = &sessions[j];
    if (cfg_non) {
      for (int i = 0; i < cfg_k; i++) {
        slot_t *sl = &ls->slots[i];
        if (sl->used && t - sl->sent_ns > cfg_timeout_ns) {
          sl->used = 0;
          ls->inflight--;
          n_timeout++;
          if (in_window(t)) n_err++;
          refill(ls, i);
        }
      }
    }
    if (ls->retiring) {
      replace_if_drained(ls);
    } else if (!stopping && ls->inflight == 0 && !cfg_interval_ns) {
      /* every request of this session failed to send: start it again */
      send_request(ls, 0);
    }
  }
}

/* -I: opens the sessions whose time has come (at most 64 handshaking at once) and sends the
 * requests that are due. Main loop only. */
static void pace(uint64_t t) {
  int handshaking = 0;
  for (int j = 0; j < cfg_s; j++) handshaking += sessions[j].opened && sessions[j].sent == 1 && sessions[j].inflight > 0;
  for (int j = 0; j < cfg_s && !stopping; j++) {
    load_session_t *ls = &sessions[j];
    if (!ls->opened) {
      if (t < ls->due_ns || handshaking >= 64) continue;
      if (open_session(ls) != 0) {
        fprintf(stderr, "coap-load: cannot open session %d (file descriptors? ulimit -n)\n", j);
        exit(2);
      }
      ls->opened = 1;
      handshaking++;
    } else if (ls->inflight == 0 && !ls->retiring && t >= ls->due_ns) {
      if (send_request(ls, 0) != 0) ls->due_ns = t + cfg_interval_ns;
    }
  }
}

/* -H: S sessions with one answered GET each, then idle for cfg_hold seconds. */
static int hold_sessions(void) {
  uint64_t deadline = now_ns() + 120ull * 1000000000ull; /* to get every session answered */
  uint64_t last_progress = now_ns();
  int last_answered = 0;
  while (hold_answered < cfg_s) {
    while (hold_opened < cfg_s && hold_opened - hold_answered < 64) {
      if (open_session(&sessions[hold_opened]) != 0) {
        fprintf(stderr, "coap-load: cannot open session %d (file descriptors? ulimit -n)\n", hold_opened);
        return 2;
      }
      hold_opened++;
    }
    coap_io_process(ctx, 10);
    if (hold_answered != last_answered) { last_answered = hold_answered; last_progress = now_ns(); }
    /* A handshake lost on the way is not retried: once nothing has moved for 10 s, go on with
     * what answered if that is at least 99.9% (the count is reported), else give up. */
    if (hold_opened == cfg_s && now_ns() - last_progress > 10ull * 1000000000ull && hold_answered * 1000 >= cfg_s * 999)
      break;
    if (now_ns() > deadline) {
      fprintf(stderr, "coap-load: only %d of %d sessions answered in 120 s\n", hold_answered, cfg_s);
      return 1;
    }
  }
  fprintf(stderr, "ready sessions=%d of %d\n", hold_answered, cfg_s);
  uint64_t end = now_ns() + (uint64_t)(cfg_hold * 1e9);
  while (now_ns() < end) coap_io_process(ctx, 100);
  printf("held=%d\n", hold_answered);
  return 0;
}

static int resolve(const char *host, const char *port, coap_address_t *out) {
  struct addrinfo hints, *res;
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_NUMERICSERV;
  if (getaddrinfo(host, port, &hints, &res) != 0 || !res) return -1;
  coap_address_init(out);
  out->size = res->ai_addrlen;
  memcpy(&out->addr, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  return 0;
}

static uint64_t proc_cpu_ticks(long pid) {
  char fn[64], buf[2048];
  snprintf(fn, sizeof(fn), "/proc/%ld/stat", pid);
  FILE *f = fopen(fn, "r");
  if (!f) return 0;
  size_t n = fread(buf, 1, sizeof(buf) - 1, f);
  fclose(f);
  buf[n] = 0;
  char *p = strrchr(buf, ')'); /* the command name may hold spaces */
  if (!p) return 0;
  unsigned long long utime = 0, stime = 0;
  /* fields after ')': 3 state ... 14 utime 15 stime */
  if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2)
    return 0;
  return utime + stime;
}

/* Busy and steal jiffies summed over all CPUs, from /proc/stat's "cpu" line. */
static void host_cpu_ticks(uint64_t *busy, uint64_t *steal) {
  unsigned long long v[8] = {0};
  *busy = *steal = 0;
  FILE *f = fopen("/proc/stat", "r");
  if (!f) return;
  int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
                 &v[5], &v[6], &v[7]);
  fclose(f);
  if (n < 8) return;
  /* user nice system idle iowait irq softirq steal */
  *busy = v[0] + v[1] + v[2] + v[5] + v[6];
  *steal = v[7];
}

static uint64_t self_cpu_us(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (uint64_t)ru.ru_utime.tv_sec * 1000000ull + (uint64_t)ru.ru_utime.tv_usec +
         (uint64_t)ru.ru_stime.tv_sec * 1000000ull + (uint64_t)ru.ru_stime.tv_usec;
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

static double percentile_us(double q) {
  if (lat_count == 0) return 0;
  size_t i = (size_t)(q * (double)(lat_count - 1) + 0.5);
  return lat_ns[i] / 1000.0;
}

/* Reads ingest-bench's payload file: "SCPL", u32 devices, then per device u32 count and count
 * messages of u16 length + bytes (little-endian). */
static void load_streams(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) { perror(path); exit(2); }
  char magic[4];
  if (fread(magic, 1, 4, f) != 4 || memcmp(magic, "SCPL", 4) != 0 || fread(&stream_count, 4, 1, f) != 1 || stream_count == 0) {
    fprintf(stderr, "coap-load: %s is not an ingest-bench payload file\n", path);
    exit(2);
  }
  streams = calloc(stream_count, sizeof(*streams));
  for (uint32_t d = 0; d < stream_count; d++) {
    device_stream_t *ds = &streams[d];
    if (fread(&ds->count, 4, 1, f) != 1) { fprintf(stderr, "coap-load: %s is truncated\n", path); exit(2); }
    ds->msgs = calloc(ds->count ? ds->count : 1, sizeof(*ds->msgs));
    ds->lens = calloc(ds->count ? ds->count : 1, sizeof(*ds->lens));
    for (uint32_t m = 0; m < ds->count; m++) {
      if (fread(&ds->lens[m], 2, 1, f) != 1) { fprintf(stderr, "coap-load: %s is truncated\n", path); exit(2); }
      ds->msgs[m] = malloc(ds->lens[m] ? ds->lens[m] : 1);
      if (fread(ds->msgs[m], 1, ds->lens[m], f) != ds->lens[m]) { fprintf(stderr, "coap-load: %s is truncated\n", path); exit(2); }
    }
  }
  fclose(f);
}

static void usage(const char *argv0) {
  fprintf(stderr,
          "usage: %s [-k inflight/session] [-s sessions] [-d seconds] [-w warmup-seconds] [-n]\n"
          "          [-T non-timeout-ms] [-m max-requests/session] [-P server-pid]\n"
          "          [-i psk-identity -K psk-key [-N]] [-f payload-file] [-H hold-seconds] [-I pause-ms]\n"
          "          HOST PORT PATH\n",
          argv0);
  exit(2);
}

int main(int argc, char **argv) {
  int opt;
  while ((opt = getopt(argc, argv, "k:s:d:w:nT:m:P:i:K:Nf:H:I:")) != -1) {
    switch (opt) {
    case 'k': cfg_k = atoi(optarg); break;
    case 's': cfg_s = atoi(optarg); break;
    case 'd': cfg_duration = atof(optarg); break;
    case 'w': cfg_warmup = atof(optarg); break;
    case 'n': cfg_non = 1; break;
    case 'T': cfg_timeout_ns = (uint64_t)atol(optarg) * 1000000ull; break;
    case 'm': cfg_max_per_session = (uint64_t)atoll(optarg); break;
    case 'P': cfg_pid = atol(optarg); break;
    case 'i': cfg_identity = optarg; break;
    case 'K': cfg_key = optarg; break;
    case 'N': cfg_new_sessions = 1; break;
    case 'f': load_streams(optarg); break;
    case 'H': cfg_hold = atof(optarg); break;
    case 'I': cfg_interval_ns = (uint64_t)atol(optarg) * 1000000ull; break;
    default: usage(argv[0]);
    }
  }
  if (cfg_new_sessions) { cfg_k = 1; cfg_max_per_session = 1; }
  if (cfg_interval_ns) cfg_k = 1;
  if ((cfg_identity == NULL) != (cfg_key == NULL)) usage(argv[0]);
  if (cfg_identity) { /* a template may hold one "%d" and no other conversion */
    const char *pct = strchr(cfg_identity, '%');
    if (pct && (pct[1] != 'd' || strchr(pct + 2, '%'))) {
      fprintf(stderr, "coap-load: -i takes an identity, or a template with one %%d\n");
      return 2;
    }
  }
  if (cfg_identity && !coap_dtls_is_supported()) {
    fprintf(stderr, "coap-load: this libcoap has no DTLS\n");
    return 2;
  }
  if (argc - optind != 3 || cfg_k < 1 || cfg_k > 4096 || cfg_s < 1 || cfg_duration <= 0 ||
      cfg_warmup < 0 || cfg_max_per_session < (uint64_t)cfg_k)
    usage(argv[0]);
  const char *host = argv[optind], *port = argv[optind + 1];
  char *path = strdup(argv[optind + 2]);
  for (char *seg = strtok(path, "/"); seg && path_count < 32; seg = strtok(NULL, "/"))
    path_segments[path_count++] = seg;

  coap_startup();
  /* libcoap 4.3.1 logs every ICMP error and RST at CRIT/ALERT; failures are counted instead. */
  coap_set_log_level(getenv("COAP_LOAD_DEBUG") ? (coap_log_t)atoi(getenv("COAP_LOAD_DEBUG")) : LOG_EMERG);
  if (resolve(host, port, &server_addr) != 0) {
    fprintf(stderr, "coap-load: cannot resolve %s:%s\n", host, port);
    return 2;
  }
  /* Each session binds its own socket to HOST's address family, port 0 (ephemeral). */
  local_addr = server_addr;
  if (local_addr.addr.sa.sa_family == AF_INET) local_addr.addr.sin.sin_port = 0;
  else local_addr.addr.sin6.sin6_port = 0;

  ctx = coap_new_context(NULL);
  if (!ctx) { fprintf(stderr, "coap-load: no context\n"); return 2; }
  coap_register_response_handler(ctx, on_response);
  coap_register_nack_handler(ctx, on_nack);

  sessions = calloc((size_t)cfg_s, sizeof(*sessions));
  for (int j = 0; j < cfg_s; j++) {
    sessions[j].slots = calloc((size_t)cfg_k, sizeof(slot_t));
    if (streams) sessions[j].stream = &streams[(uint32_t)j % stream_count];
  }

  if (cfg_hold > 0) return hold_sessions();

  uint64_t t0 = now_ns();
  t_measure_start = t0 + (uint64_t)(cfg_warmup * 1e9);
  t_measure_end = t_measure_start + (uint64_t)(cfg_duration * 1e9);
  for (int j = 0; j < cfg_s && cfg_interval_ns; j++) {
    sessions[j].due_ns = t0 + (uint64_t)(cfg_warmup * 1e9 * 0.8) * (uint64_t)j / (uint64_t)cfg_s;
  }
  for (int j = 0; j < cfg_s && !cfg_interval_ns; j++) {
    if (open_session(&sessions[j]) != 0) {
      fprintf(stderr, "coap-load: cannot open session %d\n", j);
      return 2;
    }
  }

  int measuring = 0;
  uint64_t srv0 = 0, srv1 = 0, cli0 = 0, cli1 = 0, last_house = t0;
  uint64_t host0 = 0, host1 = 0, steal0 = 0, steal1 = 0;
  for (;;) {
    coap_io_process(ctx, cfg_interval_ns ? 5 : 10);
    if (cfg_interval_ns) pace(now_ns());
    if (cfg_new_sessions) {
      for (int j = 0; j < cfg_s; j++) replace_if_drained(&sessions[j]);
    }
    uint64_t t = now_ns();
    if (!measuring && t >= t_measure_start) {
      measuring = 1;
      if (cfg_pid) srv0 = proc_cpu_ticks(cfg_pid);
      cli0 = self_cpu_us();
      host_cpu_ticks(&host0, &steal0);
    }
    if (t >= t_measure_end) {
      if (cfg_pid) srv1 = proc_cpu_ticks(cfg_pid);
      cli1 = self_cpu_us();
      host_cpu_ticks(&host1, &steal1);
      stopping = 1;
      break;
    }
    if (t - last_house >= 20 * 1000000ull) {
      housekeeping(t);
      last_house = t;
    }
  }

  qsort(lat_ns, lat_count, sizeof(*lat_ns), cmp_u32);
  double secs = (double)(t_measure_end - t_measure_start) / 1e9;
  double rps = (double)n_ok / secs;
  double ticks = (double)sysconf(_SC_CLK_TCK);
  double srv_cpu_s = cfg_pid ? (double)(srv1 - srv0) / ticks : 0;
  double cli_cpu_s = (double)(cli1 - cli0) / 1e6;
  double per = n_ok ? 1e6 / (double)n_ok : 0;
  printf("rps=%.1f p50_us=%.1f p99_us=%.1f p999_us=%.1f ok=%llu errors=%llu late=%llu "
         "srv_cpu_us=%.2f srv_cpu_pct=%.1f cli_cpu_us=%.2f cli_cpu_pct=%.1f host_busy_pct=%.1f "
         "steal_pct=%.1f sessions=%llu send_fail=%llu exhausted=%llu\n",
         rps, percentile_us(0.50), percentile_us(0.99), percentile_us(0.999),
         (unsigned long long)n_ok, (unsigned long long)n_err, (unsigned long long)n_late,
         srv_cpu_s * per, 100.0 * srv_cpu_s / secs, cli_cpu_s * per, 100.0 * cli_cpu_s / secs,
         100.0 * (double)(host1 - host0) / ticks / secs, 100.0 * (double)(steal1 - steal0) / ticks / secs,
         (unsigned long long)n_sessions_opened, (unsigned long long)n_send_fail,
         (unsigned long long)n_exhausted);
  if (cfg_interval_ns) {
    printf("ok_total=%llu errors_total=%llu\n", (unsigned long long)n_ok_total, (unsigned long long)n_err_total);
  }
  fflush(stdout);
  if (n_nack[0] + n_nack[1] + n_nack[2] + n_nack[3] + n_nack[4] + n_timeout > 0) {
    fprintf(stderr, "coap-load: failures over the whole run: NON timeouts %llu, nacks: too many retries %llu, "
            "not deliverable %llu, RST %llu, TLS %llu, ICMP %llu\n", (unsigned long long)n_timeout,
            (unsigned long long)n_nack[COAP_NACK_TOO_MANY_RETRIES], (unsigned long long)n_nack[COAP_NACK_NOT_DELIVERABLE],
            (unsigned long long)n_nack[COAP_NACK_RST], (unsigned long long)n_nack[COAP_NACK_TLS_FAILED],
            (unsigned long long)n_nack[COAP_NACK_ICMP_ISSUE]);
  }
  if (n_ok == 0) {
    fprintf(stderr, "coap-load: no successful response in the measured window\n");
    return 1;
  }

  /* Outstanding CON requests would be retransmitted by coap_free_context's teardown paths;
   * just drop everything. */
  for (int j = 0; j < cfg_s; j++) {
    if (sessions[j].session) {
      coap_session_set_app_data(sessions[j].session, NULL);
      coap_session_release(sessions[j].session);
    }
    free(sessions[j].slots);
  }
  free(sessions);
  coap_free_context(ctx);
  coap_cleanup();
  free(lat_ns);
  free(path);
  return 0;
}
