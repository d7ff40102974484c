/*
 * engine.h: the one interface the natives are written against, with two backends.
 *
 *   engine_quickjs.c  QuickJS 2021-03-27 (CI, the desktop and a Linux dev board)
 *   engine_jerry.c    JerryScript 3.0 (the target), built only where JERRYSCRIPT_DIR is given
 *
 * Ownership follows both engines: every ev_t a function returns is owned by the caller and released
 * with ev_free(); arguments are borrowed, except where a parameter says "consumed". One engine
 * instance per process (as on a board); eng_cleanup() and eng_init() again is a reboot.
 */
#ifndef PORT_ENGINE_H
#define PORT_ENGINE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(PORT_ENGINE_QUICKJS)
#include "quickjs.h"
typedef JSValue ev_t;
#elif defined(PORT_ENGINE_JERRY)
#include "jerryscript.h"
typedef jerry_value_t ev_t;
#else
#error "build with -DPORT_ENGINE_QUICKJS or -DPORT_ENGINE_JERRY"
#endif

/* A native function: `data` is what ev_function() was given; argv[0..argc) are borrowed. */
typedef ev_t (*ev_native_fn)(void *data, ev_t this_val, int argc, const ev_t *argv);

/* Type information of a native pointer carried by an object (a serial port, a card slot...). */
typedef struct ev_native_info {
  const char *name;
  /* Runs when the engine collects the object (or at eng_cleanup): C memory only, never the engine. */
  void (*free_cb)(void *ptr);
} ev_native_info;

typedef struct eng_config {
  /* Upper bound of the engine's heap in bytes where the engine takes one at run time (QuickJS); 0 = none. */
  size_t mem_limit;
  /* Called every few thousand bytecodes while a script runs; non-zero stops the script at once
   * (uncatchable): reset, exit and power cut. Also the moment to drain UART buffers. */
  int (*interrupt)(void);
  /* Non-zero once the power is off (reset, exit, cut requested): every native then throws
   * E_POWER_OFF instead of running, as on a board that is going down. */
  int (*halted)(void);
} eng_config;

/* ---- engine lifetime ------------------------------------------------------------------------- */
int eng_init(const eng_config *cfg);
void eng_cleanup(void);
/* Human-readable engine name and version ("QuickJS 2021-03-27"). */
const char *eng_name(void);
/* What a compiled image must match: engine id and feature bits (see image.h). */
const char *eng_image_engine(void);
uint32_t eng_image_features(void);
/* Kind of compiled payload this engine makes and runs (IMAGE_KIND_*). */
uint32_t eng_image_kind(void);

/* Parses and runs a script (the bundle). */
ev_t eng_eval(const char *src, size_t len, const char *name);
/* Compiles a script into the engine's precompiled form (QuickJS bytecode, JerryScript snapshot).
 * Returns 0 and a malloc'd buffer, or -1 with a message in err. */
int eng_compile(const char *src, size_t len, const char *name, uint8_t **out, size_t *out_len, char *err, size_t errcap);
/* Runs a precompiled payload; `code` must stay valid until eng_cleanup() (a snapshot runs in place). */
ev_t eng_exec_compiled(const uint8_t *code, size_t len);
/* Runs all pending jobs (Promise reactions); returns undefined or the first exception. */
ev_t eng_run_jobs(void);
/* Bytes the engine has allocated now, and the peak since eng_init(). */
void eng_memory(size_t *used, size_t *peak);
/* "Name [CODE]: message\nstack" of a thrown value, for logs. */
void eng_describe(ev_t value, char *buf, size_t cap);

/* ---- values ---------------------------------------------------------------------------------- */
ev_t ev_undefined(void);
ev_t ev_null(void);
ev_t ev_bool(bool b);
ev_t ev_number(double d);
ev_t ev_string(const char *s);
ev_t ev_string_n(const char *s, size_t len);
ev_t ev_object(void);
/* A new Uint8Array holding a copy of `len` bytes (`p` may be NULL: zero-filled). */
ev_t ev_bytes(const uint8_t *p, size_t len);
ev_t ev_global(void);

ev_t ev_dup(ev_t v);
void ev_free(ev_t v);

bool ev_is_exception(ev_t v);
/* The thrown value of an exception (consumed). */
ev_t ev_exception_value(ev_t exc);
bool ev_is_undefined(ev_t v);
bool ev_is_null(ev_t v);
bool ev_is_bool(ev_t v);
bool ev_is_number(ev_t v);
bool ev_is_string(ev_t v);
bool ev_is_object(ev_t v);
bool ev_is_function(ev_t v);
double ev_number_value(ev_t v);
bool ev_truthy(ev_t v);
/* UTF-8 of a string (other values through String()); always NUL-terminated when cap > 0.
 * Returns the full length, which may exceed cap - 1 (then the copy is cut). */
size_t ev_string_utf8(ev_t v, char *buf, size_t cap);
/* The same into a malloc'd buffer (NULL when out of memory). */
char *ev_string_dup(ev_t v, size_t *len);
/* A Uint8Array's bytes in place (valid until the engine runs script again). */
bool ev_u8(ev_t v, uint8_t **p, size_t *len);

ev_t ev_get(ev_t obj, const char *key);
/* Sets a data property; `val` is consumed. */
void ev_set(ev_t obj, const char *key, ev_t val);
/* Defines an accessor with only a getter; `getter` is consumed. */
void ev_set_getter(ev_t obj, const char *key, ev_t getter);
/* Object.freeze(obj); `obj` is consumed and returned. */
ev_t ev_freeze(ev_t obj);

ev_t ev_function(const char *name, int length, ev_native_fn fn, void *data);
ev_t ev_call(ev_t fn, ev_t this_val, int argc, const ev_t *argv);

/* An object carrying a native pointer, with `proto` as its prototype (undefined: Object.prototype). */
ev_t ev_native_object(const ev_native_info *info, void *ptr, ev_t proto);
/* The native pointer of `obj` when it carries one of type `info`, else NULL. */
void *ev_native_ptr(ev_t obj, const ev_native_info *info);

ev_t ev_json_parse(const char *s, size_t len);
ev_t ev_json_stringify(ev_t v);

/* A NativeError: Error("CODE: message") with name "NativeError" and `code`. */
ev_t ev_error(const char *code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
ev_t ev_verror(const char *code, const char *fmt, va_list ap);
/* Throws `err` (consumed); returns the exception to return from a native. */
ev_t ev_throw(ev_t err);
/* ev_throw(ev_error(code, ...)). */
ev_t ev_throw_code(const char *code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Ends the running script for good (reset, exit, power cut): uncatchable where the engine has it
 * (JerryScript abort); elsewhere a NativeError that the interrupt handler then makes final. */
ev_t ev_throw_halt(const char *code, const char *why);

#endif
