/*
 * timers and clock: one-shot and repeating timers on the monotonic clock (CLOCK_MONOTONIC since boot),
 * fired by the event loop between scripts; the RTC as the system's wall clock plus an offset that
 * clock.set() moves (the port does not change the host's clock).
 */
#include <stdlib.h>
#include <time.h>

#include "port.h"

#define MAX_TIMERS 64

typedef struct timer {
  int id;
  double due;
  double every; /* 0 = one-shot */
  bool posted;  /* a firing is queued */
  ev_t callback;
} timer;

static timer timers[MAX_TIMERS];
static int next_id = 1;
static double rtc_offset_ms;

static timer *find(int id) {
  for (int i = 0; i < MAX_TIMERS; i++)
    if (timers[i].id == id) return &timers[i];
  return NULL;
}

static ev_t add_timer(int argc, const ev_t *argv, bool repeat) {
  ev_t cb = arg_at(argc, argv, 0);
  if (!ev_is_function(cb)) return ev_throw_code("E_OPTIONS", "callback required");
  ev_t msv = arg_at(argc, argv, 1);
  double ms = ev_is_number(msv) ? ev_number_value(msv) : 0;
  if (!(ms >= 0)) ms = 0;
  if (repeat && ms < 1) ms = 1;
  timer *t = find(0);
  if (!t) return ev_throw_code("E_TIMERS_FULL", "more than %d timers", MAX_TIMERS);
  t->id = next_id++;
  t->due = loop_monotonic_ms() + ms;
  t->every = repeat ? ms : 0;
  t->posted = false;
  t->callback = ev_dup(cb);
  return ev_number(t->id);
}

static void drop(timer *t) {
  ev_t cb = t->callback;
  t->id = 0;
  t->callback = ev_undefined();
  ev_free(cb);
}

static ev_t f_set(void *d, ev_t this_val, int argc, const ev_t *argv) {
  (void)d;
  (void)this_val;
  return add_timer(argc, argv, false);
}

static ev_t f_repeat(void *d, ev_t this_val, int argc, const ev_t *argv) {
  (void)d;
  (void)this_val;
  return add_timer(argc, argv, true);
}

static ev_t f_clear(void *d, ev_t this_val, int argc, const ev_t *argv) {
  (void)d;
  (void)this_val;
  ev_t idv = arg_at(argc, argv, 0);
  if (ev_is_number(idv)) {
    double id = ev_number_value(idv);
    if (is_integer(id) && id > 0) {
      timer *t = find((int)id);
      if (t) drop(t);
    }
  }
  return ev_undefined();
}

double timers_next_due(void) {
  double next = -1;
  for (int i = 0; i < MAX_TIMERS; i++)
    if (timers[i].id && !timers[i].posted && (next < 0 || timers[i].due < next)) next = timers[i].due;
  return next;
}

void timers_fire_due(double now) {
  /* In due order, like the simulator: earlier deadlines fire first. */
  for (;;) {
    timer *best = NULL;
    for (int i = 0; i < MAX_TIMERS; i++)
      if (timers[i].id && !timers[i].posted && timers[i].due <= now && (!best || timers[i].due < best->due)) best = &timers[i];
    if (!best) return;
    best->posted = true;
    loop_post(EV_TIMER, best->id, 0, NULL, 0);
  }
}

ev_t timers_dispatch(const loop_event *e) {
  timer *t = find(e->id);
  if (!t) return ev_undefined(); /* cleared after it was queued */
  ev_t cb = ev_dup(t->callback);
  if (t->every > 0) {
    t->posted = false;
    t->due += t->every;
    double now = loop_monotonic_ms();
    if (t->due < now - t->every) t->due = now; /* a late loop does not replay missed periods */
  } else {
    drop(t);
  }
  ev_t r = call_cb(cb, 0, ev_undefined(), ev_undefined());
  ev_free(cb);
  return r;
}

void timers_teardown(void) {
  for (int i = 0; i < MAX_TIMERS; i++)
    if (timers[i].id) drop(&timers[i]);
  next_id = 1;
}

ev_t timers_create(void) {
  ev_t o = ev_object();
  ev_set(o, "set", ev_function("set", 2, f_set, NULL));
  ev_set(o, "repeat", ev_function("repeat", 2, f_repeat, NULL));
  ev_set(o, "clear", ev_function("clear", 1, f_clear, NULL));
  return ev_freeze(o);
}

/* ---- clock -------------------------------------------------------------------------------------- */
static double wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec * 1000.0 + (double)(ts.tv_nsec / 1000000);
}

static ev_t f_monotonic(void *d, ev_t this_val, int argc, const ev_t *argv) {
  (void)d;
  (void)this_val;
  (void)argc;
  (void)argv;
  /* Whole milliseconds, as a board's tick counter gives them. */
  return ev_number((double)(long long)loop_monotonic_ms());
}

static ev_t f_now(void *d, ev_t this_val, int argc, const ev_t *argv) {
  (void)d;
  (void)this_val;
  (void)argc;
  (void)argv;
  return ev_number(wall_ms() + rtc_offset_ms);
}

static ev_t f_clock_set(void *d, ev_t this_val, int argc, const ev_t *argv) {
  (void)d;
  (void)this_val;
  ev_t v = arg_at(argc, argv, 0);
  double ms = ev_is_number(v) ? ev_number_value(v) : -1;
  if (!is_integer(ms) || ms < 0) return ev_throw_code("E_OPTIONS", "clock.set takes milliseconds since 1970");
  rtc_offset_ms = ms - wall_ms();
  return ev_undefined();
}

ev_t clock_create(void) {
  ev_t o = ev_object();
  ev_set(o, "monotonic", ev_function("monotonic", 0, f_monotonic, NULL));
  ev_set(o, "now", ev_function("now", 0, f_now, NULL));
  ev_set(o, "set", ev_function("set", 1, f_clock_set, NULL));
  return ev_freeze(o);
}
