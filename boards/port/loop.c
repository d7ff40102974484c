/*
 * The event loop: poll() over the UARTs and the device link, timers from the monotonic clock, and a
 * queue of events delivered to the firmware only between scripts. One event is one call into the
 * engine, followed by every pending job (Promise reactions), exactly as the simulator's host runs it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "port.h"

#define MAX_WATCH 32

typedef struct watch {
  int fd;
  short events;
  bool keep_alive;
  loop_fd_cb cb;
  void *ctx;
} watch;

static watch watches[MAX_WATCH];
static int nwatch;
static loop_event *qhead, *qtail;
static double boot_ms;
static int stop_kind;
static int exit_code;
static double last_pump;

static double now_raw(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

double loop_monotonic_ms(void) {
  return now_raw() - boot_ms;
}

static void clear_queue(void) {
  while (qhead) {
    loop_event *e = qhead;
    qhead = e->next;
    free(e->s);
    free(e);
  }
  qtail = NULL;
}

void loop_boot(void) {
  boot_ms = now_raw();
  stop_kind = STOP_NONE;
  exit_code = 0;
  clear_queue();
}

void loop_shutdown(void) {
  clear_queue();
}

int loop_watch(int fd, short events, bool keep_alive, loop_fd_cb cb, void *ctx) {
  for (int i = 0; i < nwatch; i++)
    if (watches[i].fd == fd) {
      watches[i] = (watch){fd, events, keep_alive, cb, ctx};
      return 0;
    }
  if (nwatch == MAX_WATCH) return -1;
  watches[nwatch++] = (watch){fd, events, keep_alive, cb, ctx};
  return 0;
}

void loop_set_events(int fd, short events) {
  for (int i = 0; i < nwatch; i++)
    if (watches[i].fd == fd) watches[i].events = events;
}

void loop_unwatch(int fd) {
  for (int i = 0; i < nwatch; i++)
    if (watches[i].fd == fd) {
      watches[i] = watches[--nwatch];
      return;
    }
}

void loop_post(int kind, int id, double a, const char *s, size_t slen) {
  loop_event *e = calloc(1, sizeof *e);
  if (!e) return;
  e->kind = kind;
  e->id = id;
  e->a = a;
  if (s) {
    e->s = malloc(slen + 1);
    if (e->s) {
      memcpy(e->s, s, slen);
      e->s[slen] = 0;
      e->slen = slen;
    }
  }
  if (qtail) qtail->next = e;
  else qhead = e;
  qtail = e;
}

void loop_request_stop(int kind, int code) {
  if (stop_kind != STOP_NONE) return;
  stop_kind = kind;
  exit_code = code;
}

int loop_stop_kind(void) {
  return stop_kind;
}

int loop_exit_code(void) {
  return exit_code;
}

int loop_interrupt(void) {
  /* While a long script runs, bytes keep arriving: move them from the kernel into the native rings
   * (no JavaScript runs here), at most every 2 ms. */
  double t = now_raw();
  if (t - last_pump >= 2.0) {
    last_pump = t;
    serial_pump();
  }
  return stop_kind != STOP_NONE;
}

bool loop_settle(ev_t result, const char *what) {
  if (ev_is_exception(result)) {
    ev_t e = ev_exception_value(result);
    if (stop_kind == STOP_NONE) {
      char buf[2048];
      eng_describe(e, buf, sizeof buf);
      port_log(3, "uncaught exception in %s: %s", what, buf);
      loop_request_stop(STOP_ERROR, 1);
    }
    ev_free(e);
    return false;
  }
  ev_free(result);
  if (stop_kind != STOP_NONE) return false;
  ev_t jobs = eng_run_jobs();
  if (ev_is_exception(jobs)) {
    ev_t e = ev_exception_value(jobs);
    if (stop_kind == STOP_NONE) {
      char buf[2048];
      eng_describe(e, buf, sizeof buf);
      port_log(3, "uncaught exception in a job after %s: %s", what, buf);
      loop_request_stop(STOP_ERROR, 1);
    }
    ev_free(e);
    return false;
  }
  ev_free(jobs);
  return stop_kind == STOP_NONE;
}

static bool keeps_alive(void) {
  for (int i = 0; i < nwatch; i++)
    if (watches[i].keep_alive) return true;
  return devices_active();
}

int loop_run(void) {
  struct pollfd pfd[MAX_WATCH];
  watch snap[MAX_WATCH];
  while (stop_kind == STOP_NONE) {
    if (qhead) {
      loop_event *e = qhead;
      qhead = e->next;
      if (!qhead) qtail = NULL;
      ev_t r = natives_dispatch(e);
      loop_settle(r, "a callback");
      free(e->s);
      free(e);
      continue;
    }
    timers_fire_due(loop_monotonic_ms());
    serial_before_poll();
    if (qhead) continue;
    double due = timers_next_due();
    if (due < 0 && !keeps_alive()) return STOP_IDLE;
    int timeout = -1;
    if (due >= 0) {
      double wait = due - loop_monotonic_ms();
      timeout = wait <= 0 ? 0 : (int)(wait + 0.999);
    }
    int n = nwatch;
    memcpy(snap, watches, sizeof(watch) * (size_t)n);
    for (int i = 0; i < n; i++) pfd[i] = (struct pollfd){snap[i].fd, snap[i].events, 0};
    int r = poll(pfd, (nfds_t)n, timeout);
    if (r < 0) {
      if (errno == EINTR) continue;
      port_log(3, "poll: %s", strerror(errno));
      loop_request_stop(STOP_ERROR, 1);
      break;
    }
    for (int i = 0; i < n && r > 0; i++) {
      if (!pfd[i].revents) continue;
      r--;
      /* A callback may have unwatched a later fd: only call those still watched. */
      bool still = false;
      for (int k = 0; k < nwatch; k++)
        if (watches[k].fd == snap[i].fd && watches[k].cb == snap[i].cb && watches[k].ctx == snap[i].ctx) still = true;
      if (still) snap[i].cb(snap[i].ctx, snap[i].fd, pfd[i].revents);
    }
  }
  return stop_kind;
}

/* ---- handles ---------------------------------------------------------------------------------- */
#define MAX_HANDLES 64
typedef struct handle {
  int id;
  int kind;
  void *obj;
} handle;
static handle handles[MAX_HANDLES];
static int next_handle = 1;

int handle_add(int kind, void *obj) {
  for (int i = 0; i < MAX_HANDLES; i++)
    if (handles[i].id == 0) {
      handles[i] = (handle){next_handle++, kind, obj};
      return handles[i].id;
    }
  return -1;
}

void *handle_get(int id, int kind) {
  if (id <= 0) return NULL;
  for (int i = 0; i < MAX_HANDLES; i++)
    if (handles[i].id == id && handles[i].kind == kind) return handles[i].obj;
  return NULL;
}

void handle_remove(int id) {
  for (int i = 0; i < MAX_HANDLES; i++)
    if (handles[i].id == id) handles[i] = (handle){0, 0, NULL};
}

void handles_reset(void) {
  memset(handles, 0, sizeof handles);
}

/* ---- helpers ---------------------------------------------------------------------------------- */
ev_t arg_at(int argc, const ev_t *argv, int i) {
  return i < argc ? argv[i] : ev_undefined();
}

int opt_callback(ev_t options, const char *key, ev_t *out, ev_t *exc) {
  ev_t v = ev_get(options, key);
  if (ev_is_exception(v)) {
    *exc = v;
    return -1;
  }
  if (!ev_is_undefined(v) && !ev_is_function(v)) {
    ev_free(v);
    *exc = ev_throw_code("E_OPTIONS", "%s must be a function", key);
    return -1;
  }
  *out = v;
  return 0;
}

ev_t call_cb(ev_t fn, int argc, ev_t a0, ev_t a1) {
  ev_t args[2] = {a0, a1};
  ev_t u = ev_undefined();
  ev_t r = ev_call(fn, u, argc, args);
  if (argc > 0) ev_free(a0);
  if (argc > 1) ev_free(a1);
  return r;
}

bool is_integer(double d) {
  return d == d && d >= -9007199254740991.0 && d <= 9007199254740991.0 && (double)(long long)d == d;
}

void port_log(int level, const char *fmt, ...) {
  static const char *tags[] = {"DBG", "INF", "WRN", "ERR"};
  if (level < 0) level = 0;
  if (level > 3) level = 3;
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "port %s ", tags[level]);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}
