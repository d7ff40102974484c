/*
 * system natives (engine, serial number, random, reset, battery, log, exit), the global print() the
 * on-target test bundle needs, and the assembly of the one frozen global `__natives`.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "port.h"

static char engine_text[160];

static ev_t f_serial_number(void *d, ev_t this_val, int argc, const ev_t *argv) {
  (void)d;
  (void)this_val;
  (void)argc;
  (void)argv;
  return ev_string(g_cfg.serial_number);
}

static ev_t f_random(void *d, ev_t this_val, int argc, const ev_t *argv) {
  (void)d;
  (void)this_val;
  uint8_t *p;
  size_t n;
  if (!ev_u8(arg_at(argc, argv, 0), &p, &n)) return ev_throw_code("E_OPTIONS", "random fills a Uint8Array");
  size_t done = 0;
  while (done < n) {
    ssize_t r = getrandom(p + done, n - done, 0);
    if (r <= 0) return ev_throw_code("E_RANDOM", "the RNG failed");
    done += (size_t)r;
  }
  return ev_undefined();
}

static ev_t f_reset(void *d, ev_t this_val, int argc, const ev_t *argv) {
  (void)d;
  (void)this_val;
  (void)argc;
  (void)argv;
  loop_request_stop(STOP_RESET, 0);
  return ev_throw_halt("E_POWER_OFF", "reset");
}

static ev_t f_exit(void *d, ev_t this_val, int argc, const ev_t *argv) {
  (void)d;
  (void)this_val;
  ev_t v = arg_at(argc, argv, 0);
  int code = ev_is_number(v) ? (int)ev_number_value(v) : 0;
  loop_request_stop(STOP_EXIT, code);
  return ev_throw_halt("E_POWER_OFF", "exit");
}

/* The first power supply of type Battery under /sys/class/power_supply, if the board has one. */
static ev_t f_battery(void *d, ev_t this_val, int argc, const ev_t *argv) {
  (void)d;
  (void)this_val;
  (void)argc;
  (void)argv;
  DIR *dir = opendir("/sys/class/power_supply");
  if (!dir) return ev_undefined();
  struct dirent *e;
  ev_t result = ev_undefined();
  while ((e = readdir(dir))) {
    if (e->d_name[0] == '.') continue;
    char path[512], type[32] = "", status[32] = "";
    int capacity = -1;
    FILE *f;
    snprintf(path, sizeof path, "/sys/class/power_supply/%s/type", e->d_name);
    if ((f = fopen(path, "r"))) {
      if (!fgets(type, sizeof type, f)) type[0] = 0;
      fclose(f);
    }
    if (strncmp(type, "Battery", 7) != 0) continue;
    snprintf(path, sizeof path, "/sys/class/power_supply/%s/capacity", e->d_name);
    if ((f = fopen(path, "r"))) {
      if (fscanf(f, "%d", &capacity) != 1) capacity = -1;
      fclose(f);
    }
    snprintf(path, sizeof path, "/sys/class/power_supply/%s/status", e->d_name);
    if ((f = fopen(path, "r"))) {
      if (!fgets(status, sizeof status, f)) status[0] = 0;
      fclose(f);
    }
    if (capacity < 0) continue;
    result = ev_object();
    ev_set(result, "percent", ev_number(capacity));
    ev_set(result, "charging", ev_bool(strncmp(status, "Charging", 8) == 0 || strncmp(status, "Full", 4) == 0));
    break;
  }
  closedir(dir);
  return result;
}

static void write_line(FILE *out, const char *prefix, const char *s, size_t n) {
  fputs(prefix, out);
  fwrite(s, 1, n, out);
  fputc('\n', out);
  fflush(out);
}

static ev_t f_log(void *d, ev_t this_val, int argc, const ev_t *argv) {
  (void)d;
  (void)this_val;
  ev_t lv = arg_at(argc, argv, 0);
  double level = ev_is_number(lv) ? ev_number_value(lv) : 1;
  if (!(level >= 0 && level <= 3)) level = 1;
  if ((int)level < g_cfg.log_level) return ev_undefined();
  size_t n = 0;
  char *s = ev_string_dup(arg_at(argc, argv, 1), &n);
  if (!s) return ev_throw_code("E_NO_MEMORY", "log");
  static const char *const tags[] = {"DBG ", "INF ", "WRN ", "ERR "};
  write_line(stdout, tags[(int)level], s, n);
  free(s);
  return ev_undefined();
}

static ev_t f_print(void *d, ev_t this_val, int argc, const ev_t *argv) {
  (void)d;
  (void)this_val;
  for (int i = 0; i < argc; i++) {
    size_t n = 0;
    char *s = ev_string_dup(argv[i], &n);
    if (!s) continue;
    if (i) fputc(' ', stdout);
    fwrite(s, 1, n, stdout);
    free(s);
  }
  fputc('\n', stdout);
  fflush(stdout);
  return ev_undefined();
}

ev_t system_create(void) {
  snprintf(engine_text, sizeof engine_text, "%s (native port, board %s)", eng_name(), g_cfg.board);
  ev_t o = ev_object();
  ev_set(o, "engine", ev_string(engine_text));
  ev_set(o, "serialNumber", ev_function("serialNumber", 0, f_serial_number, NULL));
  ev_set(o, "random", ev_function("random", 1, f_random, NULL));
  ev_set(o, "reset", ev_function("reset", 0, f_reset, NULL));
  ev_set(o, "battery", ev_function("battery", 0, f_battery, NULL));
  ev_set(o, "log", ev_function("log", 2, f_log, NULL));
  ev_set(o, "exit", ev_function("exit", 1, f_exit, NULL));
  return ev_freeze(o);
}

ev_t print_create(void) {
  return ev_function("print", 1, f_print, NULL);
}

/* ---- the one global ----------------------------------------------------------------------------- */
int natives_install(void) {
  ev_t board = ev_object();
  ev_set(board, "serial", serial_create());
  ev_set(board, "timers", timers_create());
  ev_set(board, "clock", clock_create());
  ev_set(board, "flash", flash_create());
  ev_t r = devices_create(board);
  if (ev_is_exception(r)) {
    ev_free(board);
    ev_free(ev_exception_value(r));
    return -1;
  }
  ev_free(r);
  ev_set(board, "system", system_create());
  board = ev_freeze(board);
  ev_t g = ev_global();
  ev_t desc = ev_object();
  /* Non-writable, non-configurable, like the simulator's port shell. */
  ev_t object = ev_get(g, "Object");
  ev_t define = ev_get(object, "defineProperty");
  ev_set(desc, "value", board);
  ev_set(desc, "writable", ev_bool(false));
  ev_set(desc, "configurable", ev_bool(false));
  ev_t name = ev_string("__natives");
  ev_t args[3] = {g, name, desc};
  ev_t res = ev_call(define, object, 3, args);
  bool ok = !ev_is_exception(res);
  if (!ok) ev_free(ev_exception_value(res));
  else ev_free(res);
  ev_free(name);
  ev_free(desc);
  ev_free(define);
  ev_free(object);
  ev_set(g, "print", print_create());
  ev_free(g);
  return ok ? 0 : -1;
}

void natives_teardown(void) {
  serial_teardown();
  timers_teardown();
  devices_teardown();
  handles_reset();
}

ev_t natives_dispatch(const loop_event *e) {
  switch (e->kind) {
  case EV_TIMER: return timers_dispatch(e);
  case EV_SERIAL_READABLE:
  case EV_SERIAL_WRITABLE:
  case EV_SERIAL_ERROR: return serial_dispatch(e);
  case EV_DEVICE: return devices_dispatch(e);
  default: return ev_undefined();
  }
}
