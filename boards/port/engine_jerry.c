/*
 * engine.h over JerryScript 3.0 (the target), written against its documented API
 * (docs/02.API-REFERENCE.md, docs/05.PORT-API.md of jerryscript-project/jerryscript v3.0.0).
 * Built only where a JerryScript installation is given (JERRYSCRIPT_DIR); its code is never vendored.
 *
 * Build JerryScript for the board with at least: the es.next profile, snapshot save and exec,
 * vm exec stop (the halt handler), heap stats (memory figures), e.g.
 *   python tools/build.py --profile=es.next --snapshot-save=on --snapshot-exec=on --vm-exec-stop=on
 *          --mem-stats=on --mem-heap=128 --jerry-cmdline=off --install=$JERRYSCRIPT_DIR
 * The heap size is compiled into libjerry-core (--mem-heap, in KB): eng_config.mem_limit is ignored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "image.h"
#include "jerryscript-port.h"
#include "jerryscript.h"

#if !defined(JERRY_API_MAJOR_VERSION) || JERRY_API_MAJOR_VERSION != 3
#error "engine_jerry.c is written for the JerryScript 3.x API"
#endif

static const eng_config *config;
static jerry_value_t freeze_fn;
static bool running;

typedef struct native_box {
  const ev_native_info *info;
  void *ptr;
} native_box;

typedef struct fn_box {
  ev_native_fn fn;
  void *data;
} fn_box;

static void box_free(void *native_p, struct jerry_object_native_info_t *info_p) {
  (void)info_p;
  native_box *b = native_p;
  if (b->info && b->info->free_cb) b->info->free_cb(b->ptr);
  free(b);
}

static void fn_free(void *native_p, struct jerry_object_native_info_t *info_p) {
  (void)info_p;
  free(native_p);
}

static const jerry_object_native_info_t box_info = {.free_cb = box_free};
static const jerry_object_native_info_t fn_info = {.free_cb = fn_free};

/* ---- port functions the engine asks of an embedder ------------------------------------------- */
void jerry_port_fatal(jerry_fatal_code_t code) {
  const char *what = code == JERRY_FATAL_OUT_OF_MEMORY ? "out of memory"
                     : code == JERRY_FATAL_REF_COUNT_LIMIT ? "reference count limit"
                     : code == JERRY_FATAL_DISABLED_BYTE_CODE ? "disabled byte code (snapshot/engine mismatch)"
                     : code == JERRY_FATAL_FAILED_ASSERTION ? "internal assertion failed"
                                                             : "fatal error";
  fprintf(stderr, "port ERR JerryScript: %s (code %d): the terminal restarts\n", what, (int)code);
  fflush(stderr);
  /* On a board the watchdog resets the MCU; here the process ends with a distinct status. */
  exit(code == JERRY_FATAL_OUT_OF_MEMORY ? 5 : 6);
}

void jerry_port_log(const char *message_p) {
  fputs(message_p, stderr);
}

/* ---- lifetime --------------------------------------------------------------------------------- */
static jerry_value_t halt_cb(void *user_p) {
  (void)user_p;
  if (config && config->interrupt && config->interrupt()) return jerry_string_sz("E_POWER_OFF: halted");
  return jerry_undefined();
}

int eng_init(const eng_config *cfg) {
  config = cfg;
  jerry_init(JERRY_INIT_EMPTY);
  running = true;
  if (jerry_feature_enabled(JERRY_FEATURE_VM_EXEC_STOP)) jerry_halt_handler(16, halt_cb, NULL);
  else fprintf(stderr, "port WRN JerryScript built without vm-exec-stop: reset/exit/cut cannot stop a running script\n");
  jerry_value_t g = jerry_current_realm();
  jerry_value_t object = jerry_object_get_sz(g, "Object");
  freeze_fn = jerry_object_get_sz(object, "freeze");
  jerry_value_free(object);
  jerry_value_free(g);
  return 0;
}

void eng_cleanup(void) {
  if (!running) return;
  jerry_value_free(freeze_fn);
  jerry_cleanup();
  running = false;
}

const char *eng_name(void) {
  return "JerryScript 3.0";
}

const char *eng_image_engine(void) {
  return "jerryscript-3.0";
}

uint32_t eng_image_features(void) {
  /* A snapshot depends on the engine's build, not on the host's pointer size. */
  uint32_t f = image_host_features() & IMAGE_FEATURE_BIG_ENDIAN;
  if (jerry_feature_enabled(JERRY_FEATURE_BIGINT)) f |= IMAGE_FEATURE_BIGINT;
  if (jerry_feature_enabled(JERRY_FEATURE_CPOINTER_32_BIT)) f |= 1u << 16;
  if (jerry_feature_enabled(JERRY_FEATURE_LINE_INFO)) f |= 1u << 17;
  if (jerry_feature_enabled(JERRY_FEATURE_REGEXP)) f |= 1u << 18;
  if (jerry_feature_enabled(JERRY_FEATURE_FUNCTION_TO_STRING)) f |= 1u << 19;
  if (jerry_feature_enabled(JERRY_FEATURE_MODULE)) f |= 1u << 20;
  return f;
}

uint32_t eng_image_kind(void) {
  return IMAGE_KIND_JERRY_SNAPSHOT;
}

static jerry_value_t parse(const char *src, size_t len, const char *name) {
  jerry_parse_options_t opts;
  memset(&opts, 0, sizeof opts);
  opts.options = JERRY_PARSE_HAS_SOURCE_NAME;
  opts.source_name = jerry_string_sz(name);
  jerry_value_t script = jerry_parse((const jerry_char_t *)src, len, &opts);
  jerry_value_free(opts.source_name);
  return script;
}

ev_t eng_eval(const char *src, size_t len, const char *name) {
  jerry_value_t script = parse(src, len, name);
  if (jerry_value_is_exception(script)) return script;
  jerry_value_t r = jerry_run(script);
  jerry_value_free(script);
  return r;
}

int eng_compile(const char *src, size_t len, const char *name, uint8_t **out, size_t *out_len, char *err, size_t errcap) {
  if (!jerry_feature_enabled(JERRY_FEATURE_SNAPSHOT_SAVE)) {
    snprintf(err, errcap, "this JerryScript was built without snapshot save (--snapshot-save=on)");
    return -1;
  }
  jerry_value_t script = parse(src, len, name);
  if (jerry_value_is_exception(script)) {
    jerry_value_t e = jerry_exception_value(script, true);
    eng_describe(e, err, errcap);
    jerry_value_free(e);
    return -1;
  }
  size_t cap = len * 4 + 65536;
  uint32_t *buf = NULL;
  for (int attempt = 0; attempt < 4; attempt++, cap *= 2) {
    free(buf);
    buf = malloc(cap);
    if (!buf) break;
    jerry_value_t r = jerry_generate_snapshot(script, 0, buf, cap);
    if (!jerry_value_is_exception(r)) {
      size_t n = (size_t)jerry_value_as_number(r);
      jerry_value_free(r);
      jerry_value_free(script);
      *out = (uint8_t *)buf;
      *out_len = n;
      return 0;
    }
    jerry_value_t e = jerry_exception_value(r, true);
    eng_describe(e, err, errcap);
    jerry_value_free(e);
  }
  free(buf);
  jerry_value_free(script);
  if (!err[0]) snprintf(err, errcap, "out of memory");
  return -1;
}

ev_t eng_exec_compiled(const uint8_t *code, size_t len) {
  if (((uintptr_t)code & 3u) != 0) return jerry_throw_sz(JERRY_ERROR_COMMON, "snapshot not 4-byte aligned");
  /* No COPY_DATA: the snapshot runs in place, as from flash; main keeps it until eng_cleanup(). */
  return jerry_exec_snapshot((const uint32_t *)code, len, 0, 0, NULL);
}

ev_t eng_run_jobs(void) {
  return jerry_run_jobs();
}

void eng_memory(size_t *used, size_t *peak) {
  jerry_heap_stats_t s;
  memset(&s, 0, sizeof s);
  if (!jerry_heap_stats(&s)) memset(&s, 0, sizeof s);
  if (used) *used = s.allocated_bytes;
  if (peak) *peak = s.peak_allocated_bytes;
}

static void str_prop(jerry_value_t obj, const char *key, char *buf, size_t cap) {
  buf[0] = 0;
  jerry_value_t v = jerry_object_get_sz(obj, key);
  if (!jerry_value_is_exception(v) && !jerry_value_is_undefined(v)) ev_string_utf8(v, buf, cap);
  jerry_value_free(v);
}

void eng_describe(ev_t value, char *buf, size_t cap) {
  if (!cap) return;
  if (jerry_value_is_exception(value)) {
    jerry_value_t v = jerry_exception_value(value, false);
    eng_describe(v, buf, cap);
    jerry_value_free(v);
    return;
  }
  if (!jerry_value_is_object(value)) {
    ev_string_utf8(value, buf, cap);
    return;
  }
  char name[64], code[64], message[512], stack[1024];
  str_prop(value, "name", name, sizeof name);
  str_prop(value, "code", code, sizeof code);
  str_prop(value, "message", message, sizeof message);
  str_prop(value, "stack", stack, sizeof stack);
  snprintf(buf, cap, "%s%s%s%s: %s%s%s", name[0] ? name : "Error", code[0] ? " [" : "", code, code[0] ? "]" : "", message,
           stack[0] ? "\n" : "", stack);
}

/* ---- values ----------------------------------------------------------------------------------- */
ev_t ev_undefined(void) { return jerry_undefined(); }
ev_t ev_null(void) { return jerry_null(); }
ev_t ev_bool(bool b) { return jerry_boolean(b); }
ev_t ev_number(double d) { return jerry_number(d); }
ev_t ev_string(const char *s) { return jerry_string((const jerry_char_t *)s, (jerry_size_t)strlen(s), JERRY_ENCODING_UTF8); }
ev_t ev_string_n(const char *s, size_t len) { return jerry_string((const jerry_char_t *)s, (jerry_size_t)len, JERRY_ENCODING_UTF8); }
ev_t ev_object(void) { return jerry_object(); }
ev_t ev_global(void) { return jerry_current_realm(); }

ev_t ev_bytes(const uint8_t *p, size_t len) {
  jerry_value_t ta = jerry_typedarray(JERRY_TYPEDARRAY_UINT8, (jerry_length_t)len);
  if (jerry_value_is_exception(ta) || !len) return ta;
  jerry_size_t off = 0, n = 0;
  jerry_value_t ab = jerry_typedarray_buffer(ta, &off, &n);
  uint8_t *data = jerry_arraybuffer_data(ab);
  if (data) {
    if (p) memcpy(data + off, p, len);
    else memset(data + off, 0, len);
  }
  jerry_value_free(ab);
  return ta;
}

ev_t ev_dup(ev_t v) { return jerry_value_copy(v); }
void ev_free(ev_t v) { jerry_value_free(v); }

bool ev_is_exception(ev_t v) { return jerry_value_is_exception(v); }
ev_t ev_exception_value(ev_t exc) { return jerry_exception_value(exc, true); }
bool ev_is_undefined(ev_t v) { return jerry_value_is_undefined(v); }
bool ev_is_null(ev_t v) { return jerry_value_is_null(v); }
bool ev_is_bool(ev_t v) { return jerry_value_is_boolean(v); }
bool ev_is_number(ev_t v) { return jerry_value_is_number(v); }
bool ev_is_string(ev_t v) { return jerry_value_is_string(v); }
bool ev_is_object(ev_t v) { return jerry_value_is_object(v); }
bool ev_is_function(ev_t v) { return jerry_value_is_function(v); }
double ev_number_value(ev_t v) { return jerry_value_as_number(v); }
bool ev_truthy(ev_t v) { return jerry_value_to_boolean(v); }

static jerry_value_t as_string(ev_t v) {
  if (jerry_value_is_string(v)) return jerry_value_copy(v);
  jerry_value_t s = jerry_value_to_string(v);
  if (jerry_value_is_exception(s)) {
    jerry_value_free(s);
    return jerry_string_sz("");
  }
  return s;
}

size_t ev_string_utf8(ev_t v, char *buf, size_t cap) {
  jerry_value_t s = as_string(v);
  jerry_size_t n = jerry_string_size(s, JERRY_ENCODING_UTF8);
  if (cap) {
    jerry_size_t k = jerry_string_to_buffer(s, JERRY_ENCODING_UTF8, (jerry_char_t *)buf, (jerry_size_t)(cap - 1));
    buf[k] = 0;
  }
  jerry_value_free(s);
  return n;
}

char *ev_string_dup(ev_t v, size_t *len) {
  jerry_value_t s = as_string(v);
  jerry_size_t n = jerry_string_size(s, JERRY_ENCODING_UTF8);
  char *out = malloc((size_t)n + 1);
  if (out) {
    jerry_size_t k = jerry_string_to_buffer(s, JERRY_ENCODING_UTF8, (jerry_char_t *)out, n);
    out[k] = 0;
    if (len) *len = k;
  }
  jerry_value_free(s);
  return out;
}

bool ev_u8(ev_t v, uint8_t **p, size_t *len) {
  if (!jerry_value_is_typedarray(v) || jerry_typedarray_type(v) != JERRY_TYPEDARRAY_UINT8) return false;
  jerry_size_t off = 0, n = 0;
  jerry_value_t ab = jerry_typedarray_buffer(v, &off, &n);
  uint8_t *data = jerry_arraybuffer_data(ab);
  jerry_value_free(ab);
  if (!data && n) return false;
  *p = data ? data + off : NULL;
  *len = n;
  return true;
}

ev_t ev_get(ev_t obj, const char *key) {
  return jerry_object_get_sz(obj, key);
}

void ev_set(ev_t obj, const char *key, ev_t val) {
  jerry_value_free(jerry_object_set_sz(obj, key, val));
  jerry_value_free(val);
}

void ev_set_getter(ev_t obj, const char *key, ev_t getter) {
  jerry_property_descriptor_t d = jerry_property_descriptor();
  d.flags = JERRY_PROP_IS_GET_DEFINED | JERRY_PROP_IS_ENUMERABLE_DEFINED | JERRY_PROP_IS_ENUMERABLE | JERRY_PROP_IS_CONFIGURABLE_DEFINED;
  d.getter = getter;
  jerry_value_t k = jerry_string_sz(key);
  jerry_value_free(jerry_object_define_own_prop(obj, k, &d));
  jerry_value_free(k);
  jerry_property_descriptor_free(&d); /* releases the getter */
}

ev_t ev_freeze(ev_t obj) {
  jerry_value_t u = jerry_undefined();
  jerry_value_free(jerry_call(freeze_fn, u, &obj, 1));
  return obj;
}

static jerry_value_t fn_trampoline(const jerry_call_info_t *call_info_p, const jerry_value_t args_p[], const jerry_length_t args_count) {
  fn_box *b = jerry_object_get_native_ptr(call_info_p->function, &fn_info);
  if (!b) return jerry_throw_sz(JERRY_ERROR_TYPE, "not a native");
  if (config && config->halted && config->halted()) return ev_throw_halt("E_POWER_OFF", "the terminal is restarting");
  return b->fn(b->data, call_info_p->this_value, (int)args_count, args_p);
}

ev_t ev_function(const char *name, int length, ev_native_fn fn, void *data) {
  (void)name;
  (void)length;
  fn_box *b = malloc(sizeof *b);
  if (!b) return jerry_throw_sz(JERRY_ERROR_COMMON, "out of memory");
  b->fn = fn;
  b->data = data;
  jerry_value_t f = jerry_function_external(fn_trampoline);
  jerry_object_set_native_ptr(f, &fn_info, b);
  return f;
}

ev_t ev_call(ev_t fn, ev_t this_val, int argc, const ev_t *argv) {
  return jerry_call(fn, this_val, argv, (jerry_size_t)argc);
}

ev_t ev_native_object(const ev_native_info *info, void *ptr, ev_t proto) {
  native_box *b = malloc(sizeof *b);
  if (!b) return jerry_throw_sz(JERRY_ERROR_COMMON, "out of memory");
  b->info = info;
  b->ptr = ptr;
  jerry_value_t o = jerry_object();
  if (!jerry_value_is_undefined(proto)) jerry_value_free(jerry_object_set_proto(o, proto));
  jerry_object_set_native_ptr(o, &box_info, b);
  return o;
}

void *ev_native_ptr(ev_t obj, const ev_native_info *info) {
  if (!jerry_value_is_object(obj)) return NULL;
  native_box *b = jerry_object_get_native_ptr(obj, &box_info);
  return b && b->info == info ? b->ptr : NULL;
}

ev_t ev_json_parse(const char *s, size_t len) {
  return jerry_json_parse((const jerry_char_t *)s, (jerry_size_t)len);
}

ev_t ev_json_stringify(ev_t v) {
  return jerry_json_stringify(v);
}

ev_t ev_verror(const char *code, const char *fmt, va_list ap) {
  char text[384], msg[512];
  vsnprintf(text, sizeof text, fmt, ap);
  snprintf(msg, sizeof msg, "%s: %s", code, text);
  jerry_value_t e = jerry_error_sz(JERRY_ERROR_COMMON, msg);
  ev_set(e, "name", ev_string("NativeError"));
  ev_set(e, "code", ev_string(code));
  return e;
}

ev_t ev_error(const char *code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  ev_t e = ev_verror(code, fmt, ap);
  va_end(ap);
  return e;
}

ev_t ev_throw(ev_t err) {
  if (jerry_value_is_exception(err)) return err;
  return jerry_throw_value(err, true);
}

ev_t ev_throw_code(const char *code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  ev_t e = ev_verror(code, fmt, ap);
  va_end(ap);
  return ev_throw(e);
}

ev_t ev_throw_halt(const char *code, const char *why) {
  /* An abort: no try/catch in the script can hold the board up. */
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", code, why);
  return jerry_throw_abort(jerry_string_sz(msg), true);
}
