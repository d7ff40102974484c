/*
 * engine.h over QuickJS 2021-03-27 (the sources the npm package `qjsc` ships under deps/).
 * One runtime and one context per boot. Memory is counted by our own allocator functions so the peak
 * is cheap to keep and the limit is enforced exactly (malloc_usable_size, as QuickJS's own).
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "image.h"

static JSRuntime *rt;
static JSContext *ctx;
static JSClassID native_class;
static JSClassID fn_class;
static JSValue u8_ctor;
static JSValue freeze_fn;
static const eng_config *config;
static size_t peak_bytes;

typedef struct native_box {
  const ev_native_info *info;
  void *ptr;
} native_box;

typedef struct fn_box {
  ev_native_fn fn;
  void *data;
} fn_box;

/* ---- allocator: counts bytes, keeps the peak, enforces the limit ---------------------------- */
#define MALLOC_OVERHEAD 8

static size_t usable(void *p) {
  return p ? malloc_usable_size(p) : 0;
}

static size_t qa_usable(const void *p) {
  return usable((void *)p);
}

static void note_peak(JSMallocState *s) {
  if (s->malloc_size > peak_bytes) peak_bytes = s->malloc_size;
}

static void *qa_malloc(JSMallocState *s, size_t size) {
  if (s->malloc_size + size > s->malloc_limit) return NULL;
  void *p = malloc(size);
  if (!p) return NULL;
  s->malloc_count++;
  s->malloc_size += usable(p) + MALLOC_OVERHEAD;
  note_peak(s);
  return p;
}

static void qa_free(JSMallocState *s, void *p) {
  if (!p) return;
  s->malloc_count--;
  s->malloc_size -= usable(p) + MALLOC_OVERHEAD;
  free(p);
}

static void *qa_realloc(JSMallocState *s, void *p, size_t size) {
  if (!p) return size ? qa_malloc(s, size) : NULL;
  size_t old = usable(p);
  if (size == 0) {
    qa_free(s, p);
    return NULL;
  }
  if (s->malloc_size + size - old > s->malloc_limit) return NULL;
  void *q = realloc(p, size);
  if (!q) return NULL;
  s->malloc_size += usable(q) - old;
  note_peak(s);
  return q;
}

static const JSMallocFunctions alloc_fns = {qa_malloc, qa_free, qa_realloc, qa_usable};

/* ---- classes ---------------------------------------------------------------------------------- */
static void native_finalizer(JSRuntime *r, JSValue val) {
  (void)r;
  native_box *b = JS_GetOpaque(val, native_class);
  if (!b) return;
  if (b->info && b->info->free_cb) b->info->free_cb(b->ptr);
  free(b);
}

static void fn_finalizer(JSRuntime *r, JSValue val) {
  (void)r;
  free(JS_GetOpaque(val, fn_class));
}

static int interrupt_handler(JSRuntime *r, void *opaque) {
  (void)r;
  (void)opaque;
  return config && config->interrupt ? config->interrupt() : 0;
}

int eng_init(const eng_config *cfg) {
  config = cfg;
  peak_bytes = 0;
  if (native_class == 0) JS_NewClassID(&native_class);
  if (fn_class == 0) JS_NewClassID(&fn_class);
  rt = JS_NewRuntime2(&alloc_fns, NULL);
  if (!rt) return -1;
  if (cfg->mem_limit) JS_SetMemoryLimit(rt, cfg->mem_limit);
  JSClassDef nd = {.class_name = "PortNative", .finalizer = native_finalizer};
  JSClassDef fd = {.class_name = "PortFunction", .finalizer = fn_finalizer};
  if (JS_NewClass(rt, native_class, &nd) < 0 || JS_NewClass(rt, fn_class, &fd) < 0) return -1;
  JS_SetInterruptHandler(rt, interrupt_handler, NULL);
  ctx = JS_NewContext(rt);
  if (!ctx) return -1;
  JSValue g = JS_GetGlobalObject(ctx);
  u8_ctor = JS_GetPropertyStr(ctx, g, "Uint8Array");
  JSValue object = JS_GetPropertyStr(ctx, g, "Object");
  freeze_fn = JS_GetPropertyStr(ctx, object, "freeze");
  JS_FreeValue(ctx, object);
  JS_FreeValue(ctx, g);
  return 0;
}

void eng_cleanup(void) {
  if (!rt) return;
  JS_FreeValue(ctx, u8_ctor);
  JS_FreeValue(ctx, freeze_fn);
  u8_ctor = freeze_fn = JS_UNDEFINED;
  JS_FreeContext(ctx);
  JS_FreeRuntime(rt);
  ctx = NULL;
  rt = NULL;
}

const char *eng_name(void) {
  return "QuickJS " CONFIG_VERSION;
}

const char *eng_image_engine(void) {
  return "quickjs-" CONFIG_VERSION;
}

uint32_t eng_image_features(void) {
  uint32_t f = image_host_features();
#ifdef CONFIG_BIGNUM
  f |= IMAGE_FEATURE_BIGINT;
#endif
  return f;
}

uint32_t eng_image_kind(void) {
  return IMAGE_KIND_QJS_BYTECODE;
}

ev_t eng_eval(const char *src, size_t len, const char *name) {
  /* The QuickJS parser reads one byte past the end: hand it a NUL-terminated copy. */
  char *copy = malloc(len + 1);
  if (!copy) return JS_ThrowOutOfMemory(ctx);
  memcpy(copy, src, len);
  copy[len] = 0;
  JSValue r = JS_Eval(ctx, copy, len, name, JS_EVAL_TYPE_GLOBAL);
  free(copy);
  return r;
}

int eng_compile(const char *src, size_t len, const char *name, uint8_t **out, size_t *out_len, char *err, size_t errcap) {
  char *copy = malloc(len + 1);
  if (!copy) {
    snprintf(err, errcap, "out of memory");
    return -1;
  }
  memcpy(copy, src, len);
  copy[len] = 0;
  JSValue fn = JS_Eval(ctx, copy, len, name, JS_EVAL_TYPE_GLOBAL | JS_EVAL_FLAG_COMPILE_ONLY);
  free(copy);
  if (JS_IsException(fn)) {
    JSValue e = JS_GetException(ctx);
    eng_describe(e, err, errcap);
    JS_FreeValue(ctx, e);
    return -1;
  }
  size_t n = 0;
  uint8_t *bc = JS_WriteObject(ctx, &n, fn, JS_WRITE_OBJ_BYTECODE);
  JS_FreeValue(ctx, fn);
  if (!bc) {
    snprintf(err, errcap, "cannot serialize the bytecode");
    return -1;
  }
  *out = malloc(n);
  if (*out) memcpy(*out, bc, n);
  js_free(ctx, bc);
  if (!*out) {
    snprintf(err, errcap, "out of memory");
    return -1;
  }
  *out_len = n;
  return 0;
}

ev_t eng_exec_compiled(const uint8_t *code, size_t len) {
  JSValue fn = JS_ReadObject(ctx, code, len, JS_READ_OBJ_BYTECODE);
  if (JS_IsException(fn)) return fn;
  return JS_EvalFunction(ctx, fn);
}

ev_t eng_run_jobs(void) {
  for (;;) {
    JSContext *c;
    int r = JS_ExecutePendingJob(rt, &c);
    if (r == 0) return JS_UNDEFINED;
    if (r < 0) return JS_Throw(ctx, JS_GetException(ctx));
    if (config && config->interrupt && config->interrupt()) return JS_UNDEFINED;
  }
}

void eng_memory(size_t *used, size_t *peak) {
  JSMemoryUsage u;
  JS_ComputeMemoryUsage(rt, &u);
  if (used) *used = (size_t)u.malloc_size;
  if (peak) *peak = peak_bytes;
}

static void str_prop(JSValue obj, const char *key, char *buf, size_t cap) {
  buf[0] = 0;
  JSValue v = JS_GetPropertyStr(ctx, obj, key);
  if (!JS_IsUndefined(v) && !JS_IsException(v)) ev_string_utf8(v, buf, cap);
  if (JS_IsException(v)) JS_FreeValue(ctx, JS_GetException(ctx));
  JS_FreeValue(ctx, v);
}

void eng_describe(ev_t value, char *buf, size_t cap) {
  if (!cap) return;
  if (!JS_IsObject(value)) {
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

/* ---- values ---------------------------------------------------------------------------------- */
ev_t ev_undefined(void) { return JS_UNDEFINED; }
ev_t ev_null(void) { return JS_NULL; }
ev_t ev_bool(bool b) { return JS_NewBool(ctx, b); }
ev_t ev_number(double d) { return JS_NewFloat64(ctx, d); }
ev_t ev_string(const char *s) { return JS_NewString(ctx, s); }
ev_t ev_string_n(const char *s, size_t len) { return JS_NewStringLen(ctx, s, len); }
ev_t ev_object(void) { return JS_NewObject(ctx); }
ev_t ev_global(void) { return JS_GetGlobalObject(ctx); }

ev_t ev_bytes(const uint8_t *p, size_t len) {
  JSValue ab = p ? JS_NewArrayBufferCopy(ctx, p, len) : JS_NewArrayBufferCopy(ctx, (const uint8_t *)"", 0);
  if (JS_IsException(ab)) return ab;
  if (!p && len) {
    JS_FreeValue(ctx, ab);
    uint8_t *zero = calloc(1, len);
    if (!zero) return JS_ThrowOutOfMemory(ctx);
    ab = JS_NewArrayBufferCopy(ctx, zero, len);
    free(zero);
    if (JS_IsException(ab)) return ab;
  }
  JSValue u8 = JS_CallConstructor(ctx, u8_ctor, 1, &ab);
  JS_FreeValue(ctx, ab);
  return u8;
}

ev_t ev_dup(ev_t v) { return JS_DupValue(ctx, v); }
void ev_free(ev_t v) { JS_FreeValue(ctx, v); }

bool ev_is_exception(ev_t v) { return JS_IsException(v); }
ev_t ev_exception_value(ev_t exc) {
  (void)exc;
  return JS_GetException(ctx);
}
bool ev_is_undefined(ev_t v) { return JS_IsUndefined(v); }
bool ev_is_null(ev_t v) { return JS_IsNull(v); }
bool ev_is_bool(ev_t v) { return JS_IsBool(v); }
bool ev_is_number(ev_t v) { return JS_IsNumber(v); }
bool ev_is_string(ev_t v) { return JS_IsString(v); }
bool ev_is_object(ev_t v) { return JS_IsObject(v); }
bool ev_is_function(ev_t v) { return JS_IsFunction(ctx, v); }

double ev_number_value(ev_t v) {
  double d = 0;
  if (JS_ToFloat64(ctx, &d, v) < 0) {
    JS_FreeValue(ctx, JS_GetException(ctx));
    return 0;
  }
  return d;
}

bool ev_truthy(ev_t v) {
  return JS_ToBool(ctx, v) > 0;
}

size_t ev_string_utf8(ev_t v, char *buf, size_t cap) {
  size_t n = 0;
  const char *s = JS_ToCStringLen(ctx, &n, v);
  if (!s) {
    JS_FreeValue(ctx, JS_GetException(ctx));
    if (cap) buf[0] = 0;
    return 0;
  }
  if (cap) {
    size_t k = n < cap - 1 ? n : cap - 1;
    memcpy(buf, s, k);
    buf[k] = 0;
  }
  JS_FreeCString(ctx, s);
  return n;
}

char *ev_string_dup(ev_t v, size_t *len) {
  size_t n = 0;
  const char *s = JS_ToCStringLen(ctx, &n, v);
  if (!s) {
    JS_FreeValue(ctx, JS_GetException(ctx));
    return NULL;
  }
  char *out = malloc(n + 1);
  if (out) {
    memcpy(out, s, n);
    out[n] = 0;
    if (len) *len = n;
  }
  JS_FreeCString(ctx, s);
  return out;
}

bool ev_u8(ev_t v, uint8_t **p, size_t *len) {
  if (!JS_IsObject(v)) return false;
  int inst = JS_IsInstanceOf(ctx, v, u8_ctor);
  if (inst <= 0) {
    if (inst < 0) JS_FreeValue(ctx, JS_GetException(ctx));
    return false;
  }
  size_t off = 0, n = 0, bpe = 0, size = 0;
  JSValue ab = JS_GetTypedArrayBuffer(ctx, v, &off, &n, &bpe);
  if (JS_IsException(ab)) {
    JS_FreeValue(ctx, JS_GetException(ctx));
    return false;
  }
  uint8_t *base = JS_GetArrayBuffer(ctx, &size, ab);
  JS_FreeValue(ctx, ab);
  if (!base && n) {
    JS_FreeValue(ctx, JS_GetException(ctx));
    return false;
  }
  *p = base ? base + off : NULL;
  *len = n;
  return true;
}

ev_t ev_get(ev_t obj, const char *key) {
  return JS_GetPropertyStr(ctx, obj, key);
}

void ev_set(ev_t obj, const char *key, ev_t val) {
  JS_DefinePropertyValueStr(ctx, obj, key, val, JS_PROP_C_W_E);
}

void ev_set_getter(ev_t obj, const char *key, ev_t getter) {
  JSAtom a = JS_NewAtom(ctx, key);
  JS_DefinePropertyGetSet(ctx, obj, a, getter, JS_UNDEFINED, JS_PROP_ENUMERABLE);
  JS_FreeAtom(ctx, a);
}

ev_t ev_freeze(ev_t obj) {
  JSValue r = JS_Call(ctx, freeze_fn, JS_UNDEFINED, 1, &obj);
  JS_FreeValue(ctx, r);
  return obj;
}

static JSValue fn_trampoline(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv, int magic, JSValue *data) {
  (void)c;
  (void)magic;
  fn_box *b = JS_GetOpaque(data[0], fn_class);
  if (config && config->halted && config->halted()) return ev_throw_halt("E_POWER_OFF", "the terminal is restarting");
  return b->fn(b->data, this_val, argc, argv);
}

ev_t ev_function(const char *name, int length, ev_native_fn fn, void *data) {
  fn_box *b = malloc(sizeof *b);
  if (!b) return JS_ThrowOutOfMemory(ctx);
  b->fn = fn;
  b->data = data;
  JSValue holder = JS_NewObjectClass(ctx, (int)fn_class);
  if (JS_IsException(holder)) {
    free(b);
    return holder;
  }
  JS_SetOpaque(holder, b);
  JSValue f = JS_NewCFunctionData(ctx, fn_trampoline, length, 0, 1, &holder);
  JS_FreeValue(ctx, holder);
  if (!JS_IsException(f) && name) JS_DefinePropertyValueStr(ctx, f, "name", JS_NewString(ctx, name), JS_PROP_CONFIGURABLE);
  return f;
}

ev_t ev_call(ev_t fn, ev_t this_val, int argc, const ev_t *argv) {
  return JS_Call(ctx, fn, this_val, argc, (JSValueConst *)argv);
}

ev_t ev_native_object(const ev_native_info *info, void *ptr, ev_t proto) {
  native_box *b = malloc(sizeof *b);
  if (!b) return JS_ThrowOutOfMemory(ctx);
  b->info = info;
  b->ptr = ptr;
  JSValue o = JS_IsUndefined(proto) ? JS_NewObjectClass(ctx, (int)native_class) : JS_NewObjectProtoClass(ctx, proto, native_class);
  if (JS_IsException(o)) {
    free(b);
    return o;
  }
  JS_SetOpaque(o, b);
  return o;
}

void *ev_native_ptr(ev_t obj, const ev_native_info *info) {
  native_box *b = JS_GetOpaque(obj, native_class);
  return b && b->info == info ? b->ptr : NULL;
}

ev_t ev_json_parse(const char *s, size_t len) {
  char *copy = malloc(len + 1);
  if (!copy) return JS_ThrowOutOfMemory(ctx);
  memcpy(copy, s, len);
  copy[len] = 0;
  JSValue v = JS_ParseJSON(ctx, copy, len, "<json>");
  free(copy);
  return v;
}

ev_t ev_json_stringify(ev_t v) {
  return JS_JSONStringify(ctx, v, JS_UNDEFINED, JS_UNDEFINED);
}

ev_t ev_verror(const char *code, const char *fmt, va_list ap) {
  char text[384], msg[512];
  vsnprintf(text, sizeof text, fmt, ap);
  snprintf(msg, sizeof msg, "%s: %s", code, text);
  JSValue e = JS_NewError(ctx);
  if (JS_IsException(e)) return e;
  JS_DefinePropertyValueStr(ctx, e, "message", JS_NewString(ctx, msg), JS_PROP_WRITABLE | JS_PROP_CONFIGURABLE);
  JS_DefinePropertyValueStr(ctx, e, "name", JS_NewString(ctx, "NativeError"), JS_PROP_WRITABLE | JS_PROP_CONFIGURABLE);
  JS_DefinePropertyValueStr(ctx, e, "code", JS_NewString(ctx, code), JS_PROP_C_W_E);
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
  if (JS_IsException(err)) return err;
  return JS_Throw(ctx, err);
}

ev_t ev_throw_code(const char *code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  ev_t e = ev_verror(code, fmt, ap);
  va_end(ap);
  return ev_throw(e);
}

ev_t ev_throw_halt(const char *code, const char *why) {
  /* QuickJS 2021-03-27 has no public uncatchable throw: the interrupt handler (which sees the pending
   * stop) ends the script within a few thousand bytecodes, and no job runs after it. */
  return ev_throw_code(code, "%s", why);
}
