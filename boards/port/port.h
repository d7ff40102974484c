/*
 * The native port's internals shared by main.c, loop.c and the natives_*.c files: the run-time
 * configuration, the event loop, the handle registry and each native module's entry points.
 */
#ifndef PORT_PORT_H
#define PORT_PORT_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"

/* ---- run-time configuration (command line) ------------------------------------------------------ */
#define PORT_MAX_PORTS 16

typedef struct port_map {
  char name[64];     /* the port name the bundle opens (board.json serial.<role>.port) */
  char spec[256];    /* a device path, or pty:LINK */
  bool is_pty;
  int pty_master;    /* pty: the firmware's end (kept across reboots) */
  int pty_slave;     /* pty: held open so the master never sees a hang-up */
  char slave_path[128];
  bool busy;
} port_map;

typedef struct port_config {
  const char *board;
  port_map ports[PORT_MAX_PORTS];
  int nports;
  const char *flash_path;
  uint32_t sector_size;
  uint32_t sector_count;
  long cut_at;       /* power cut during the Nth flash program/erase of the process (0 = none) */
  long cut_landed;   /* bytes of that operation that land (-1 = half) */
  bool cut_reboot;   /* after the cut: reboot in-process (true) or end the process (false) */
  const char *devices;
  const char *serial_number;
  int log_level;
  size_t mem_limit;
  int max_boots;
  bool quiet;
} port_config;

extern port_config g_cfg;

/* ---- event loop (loop.c) ------------------------------------------------------------------------ */
enum { EV_TIMER = 1, EV_SERIAL_READABLE, EV_SERIAL_WRITABLE, EV_SERIAL_ERROR, EV_DEVICE };
enum { STOP_NONE = 0, STOP_EXIT, STOP_RESET, STOP_CUT, STOP_ERROR, STOP_IDLE };

typedef struct loop_event {
  int kind;
  int id;
  double a;
  char *s;
  size_t slen;
  struct loop_event *next;
} loop_event;

typedef void (*loop_fd_cb)(void *ctx, int fd, short revents);

/* Milliseconds since this boot, monotonic. */
double loop_monotonic_ms(void);
void loop_boot(void);
void loop_shutdown(void);
/* Watches an fd; `keep_alive` fds keep the loop from going idle. */
int loop_watch(int fd, short events, bool keep_alive, loop_fd_cb cb, void *ctx);
void loop_set_events(int fd, short events);
void loop_unwatch(int fd);
/* Queues an event for the firmware: delivered between scripts, one event = one call into the engine. */
void loop_post(int kind, int id, double a, const char *s, size_t slen);
/* Asks the running script to end (reset, exit, power cut, error); `code` is the exit status. */
void loop_request_stop(int kind, int code);
int loop_stop_kind(void);
int loop_exit_code(void);
/* The engine's interrupt hook: drains the UARTs into their rings, reports a pending stop. */
int loop_interrupt(void);
/* Runs events until a stop or idleness; returns STOP_*. */
int loop_run(void);
/* After a script or callback returned: runs the jobs, turns an exception into STOP_ERROR. */
bool loop_settle(ev_t result, const char *what);

/* ---- handles: ids the events carry (an id is never reused within a boot) ------------------------ */
int handle_add(int kind, void *obj);
void *handle_get(int id, int kind);
void handle_remove(int id);
void handles_reset(void);

/* ---- helpers for natives ------------------------------------------------------------------------ */
ev_t arg_at(int argc, const ev_t *argv, int i);
/* options[key] must be a function or undefined: 0 ok (*out owned, undefined when absent), -1 thrown in *exc. */
int opt_callback(ev_t options, const char *key, ev_t *out, ev_t *exc);
/* Calls a callback with up to 2 arguments (consumed), returns its result. */
ev_t call_cb(ev_t fn, int argc, ev_t a0, ev_t a1);
bool is_integer(double d);
void port_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- native modules ----------------------------------------------------------------------------- */
int natives_install(void);
void natives_teardown(void);
ev_t natives_dispatch(const loop_event *e);

ev_t serial_create(void);
void serial_teardown(void);
void serial_pump(void);
void serial_before_poll(void);
ev_t serial_dispatch(const loop_event *e);
int ports_setup(void);
void ports_shutdown(void);

ev_t timers_create(void);
ev_t clock_create(void);
void timers_teardown(void);
double timers_next_due(void);
void timers_fire_due(double now);
ev_t timers_dispatch(const loop_event *e);

int flash_open(void);
void flash_close(void);
ev_t flash_create(void);

ev_t system_create(void);
ev_t print_create(void);

int devices_connect(void);
void devices_disconnect(void);
bool devices_active(void);
ev_t devices_create(ev_t board);
void devices_teardown(void);
ev_t devices_dispatch(const loop_event *e);

#endif
