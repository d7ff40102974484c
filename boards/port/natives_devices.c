/*
 * card (contact/contactless APDU transport), magstripe, PED, display and keypad: on a dev board these
 * are the simulator's virtual devices (or a bench fixture) reached over one stream socket,
 * `--devices unix:PATH` or `--devices tcp:HOST:PORT`. The protocol is one message per line:
 *
 *   Q {"id":N,"op":"card.open",...}   request from the port; answered by exactly one R with the same id
 *   N {"op":"display.text",...}       notice from the port; no answer
 *   R {"id":N,"result":...}           answer; or R {"id":N,"error":{"code":"E_...","message":"..."}}
 *   E {"h":H,"ev":"present",...}      event from a device for the handle H the port gave at open
 *
 * Bytes travel as upper- or lower-case hex strings ({"hex":"..."} inside PED arguments, as the
 * simulator's port shell sends them). boards/linux/README.md lists every message. Without --devices
 * these natives throw E_NATIVE_MISSING, like a board that lacks them.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "port.h"

#define H_CARD 2
#define H_SWIPE 3
#define H_KEYS 4
#define H_PIN 5
#define REPLY_TIMEOUT_MS 5000
#define MAX_MESSAGES 8

static int link_fd = -1;
static char *rbuf;
static size_t rlen, rcap;
static int next_req = 1;
static int rows, columns;
static int active;
static ev_t json_obj, json_stringify, replacer;
static bool made;

typedef struct handle_obj {
  int id;
  int kind;
  bool open;
  bool present;
  ev_t self;
  ev_t options;
  uint8_t *msgs[MAX_MESSAGES];
  size_t msg_len[MAX_MESSAGES];
  int nmsg;
} handle_obj;

static void free_handle(void *p) {
  handle_obj *h = p;
  for (int i = 0; i < h->nmsg; i++) free(h->msgs[i]);
  free(h);
}

static const ev_native_info card_info = {"CardSlot", free_handle};
static const ev_native_info plain_info = {"DeviceHandle", free_handle};
static handle_obj *all[64];

/* ---- the link ----------------------------------------------------------------------------------- */
static void on_link(void *ctx, int fd, short revents);

int devices_connect(void) {
  if (!g_cfg.devices) return 0;
  const char *spec = g_cfg.devices;
  if (strncmp(spec, "unix:", 5) == 0) {
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", spec + 5);
    link_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (link_fd < 0 || connect(link_fd, (struct sockaddr *)&a, sizeof a) < 0) goto fail;
  } else if (strncmp(spec, "tcp:", 4) == 0) {
    char host[128];
    snprintf(host, sizeof host, "%s", spec + 4);
    char *colon = strrchr(host, ':');
    if (!colon) goto fail;
    *colon = 0;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res;
    if (getaddrinfo(host, colon + 1, &hints, &res) != 0) goto fail;
    link_fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int rc = link_fd < 0 ? -1 : connect(link_fd, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    if (rc < 0) goto fail;
  } else {
    port_log(3, "--devices takes unix:PATH or tcp:HOST:PORT, not %s", spec);
    return -1;
  }
  rcap = 65536;
  rbuf = malloc(rcap);
  return rbuf ? 0 : -1;
fail:
  port_log(3, "devices %s: %s", spec, strerror(errno));
  if (link_fd >= 0) close(link_fd);
  link_fd = -1;
  return -1;
}

void devices_disconnect(void) {
  if (link_fd >= 0) close(link_fd);
  link_fd = -1;
  free(rbuf);
  rbuf = NULL;
  rlen = 0;
}

bool devices_active(void) {
  return active > 0;
}

static int send_line(char tag, const char *json, size_t n) {
  char head[2] = {tag, ' '};
  if (write(link_fd, head, 2) != 2) return -1;
  size_t done = 0;
  while (done < n) {
    ssize_t w = write(link_fd, json + done, n - done);
    if (w <= 0) return -1;
    done += (size_t)w;
  }
  return write(link_fd, "\n", 1) == 1 ? 0 : -1;
}

/* Takes complete lines out of the buffer: events are queued, the awaited reply is returned (malloc'd). */
static char *take_lines(int await_id) {
  char *reply = NULL;
  size_t start = 0;
  for (size_t i = 0; i < rlen; i++) {
    if (rbuf[i] != '\n') continue;
    char *line = rbuf + start;
    size_t n = i - start;
    start = i + 1;
    if (n < 2) continue;
    if (line[0] == 'E') loop_post(EV_DEVICE, 0, 0, line + 2, n - 2);
    else if (line[0] == 'R' && await_id && !reply) {
      char key[32];
      int k = snprintf(key, sizeof key, "\"id\":%d", await_id);
      if (memmem(line, n, key, (size_t)k)) {
        reply = malloc(n - 1);
        if (reply) {
          memcpy(reply, line + 2, n - 2);
          reply[n - 2] = 0;
        }
      }
    }
  }
  memmove(rbuf, rbuf + start, rlen - start);
  rlen -= start;
  return reply;
}

static int fill(void) {
  if (rlen == rcap) {
    char *bigger = realloc(rbuf, rcap * 2);
    if (!bigger) return -1;
    rbuf = bigger;
    rcap *= 2;
  }
  ssize_t n = read(link_fd, rbuf + rlen, rcap - rlen);
  if (n <= 0) return -1;
  rlen += (size_t)n;
  return 0;
}

static void on_link(void *ctx, int fd, short revents) {
  (void)ctx;
  (void)fd;
  if ((revents & POLLIN) && fill() == 0) {
    free(take_lines(0));
    return;
  }
  port_log(3, "devices: the link closed");
  loop_unwatch(link_fd);
}

/* JSON.stringify replacer: Uint8Array -> {hex}, so bytes cross the link as hex. */
static ev_t f_replacer(void *d, ev_t this_val, int argc, const ev_t *argv) {
  (void)d;
  (void)this_val;
  ev_t v = arg_at(argc, argv, 1);
  uint8_t *p;
  size_t n;
  if (!ev_u8(v, &p, &n)) return ev_dup(v);
  char *hex = malloc(n * 2 + 1);
  if (!hex) return ev_throw_code("E_NO_MEMORY", "hex");
  for (size_t i = 0; i < n; i++) sprintf(hex + 2 * i, "%02X", p[i]);
  hex[2 * n] = 0;
  ev_t o = ev_object();
  ev_set(o, "hex", ev_string(hex));
  free(hex);
  return o;
}

static ev_t stringify(ev_t v) {
  ev_t args[2] = {v, replacer};
  return ev_call(json_stringify, json_obj, 2, args);
}

/* Sends `msg` (consumed) as Q (await) or N; on Q returns the result (owned) or an exception. */
static ev_t request(const char *op, ev_t msg, bool await) {
  if (link_fd < 0) {
    ev_free(msg);
    return ev_throw_code("E_DEVICE_LINK", "the device link is down");
  }
  int id = await ? next_req++ : 0;
  ev_set(msg, "op", ev_string(op));
  if (await) ev_set(msg, "id", ev_number(id));
  ev_t js = stringify(msg);
  ev_free(msg);
  if (ev_is_exception(js)) return js;
  size_t n = 0;
  char *s = ev_string_dup(js, &n);
  ev_free(js);
  if (!s) return ev_throw_code("E_NO_MEMORY", "request");
  int rc = send_line(await ? 'Q' : 'N', s, n);
  free(s);
  if (rc < 0) return ev_throw_code("E_DEVICE_LINK", "cannot send %s: %s", op, strerror(errno));
  if (!await) return ev_undefined();
  double deadline = loop_monotonic_ms() + REPLY_TIMEOUT_MS;
  char *reply = take_lines(id);
  while (!reply) {
    int wait = (int)(deadline - loop_monotonic_ms());
    if (wait <= 0) return ev_throw_code("E_DEVICE_TIMEOUT", "%s: no answer within %d ms", op, REPLY_TIMEOUT_MS);
    struct pollfd p = {link_fd, POLLIN, 0};
    int r = poll(&p, 1, wait);
    if (r < 0 && errno == EINTR) continue;
    if (r > 0 && fill() < 0) return ev_throw_code("E_DEVICE_LINK", "the link closed during %s", op);
    reply = take_lines(id);
  }
  ev_t parsed = ev_json_parse(reply, strlen(reply));
  free(reply);
  if (ev_is_exception(parsed)) return parsed;
  ev_t err = ev_get(parsed, "error");
  if (ev_is_object(err)) {
    char code[64] = "E_DEVICE", message[256] = "";
    ev_t c = ev_get(err, "code"), m = ev_get(err, "message");
    if (ev_is_string(c)) ev_string_utf8(c, code, sizeof code);
    if (ev_is_string(m)) ev_string_utf8(m, message, sizeof message);
    ev_free(c);
    ev_free(m);
    ev_free(err);
    ev_free(parsed);
    return ev_throw_code(code, "%s", message);
  }
  ev_free(err);
  ev_t result = ev_get(parsed, "result");
  ev_free(parsed);
  return result;
}

static ev_t hex_to_bytes(ev_t hexv) {
  char *s = ev_is_string(hexv) ? ev_string_dup(hexv, NULL) : NULL;
  if (!s) return ev_throw_code("E_DEVICE", "expected hex bytes");
  size_t n = strlen(s) / 2;
  ev_t out = ev_bytes(NULL, n);
  uint8_t *p;
  size_t len;
  if (!ev_is_exception(out) && ev_u8(out, &p, &len))
    for (size_t i = 0; i < n; i++) {
      unsigned b = 0;
      sscanf(s + 2 * i, "%2x", &b);
      p[i] = (uint8_t)b;
    }
  free(s);
  return out;
}

static ev_t missing(void *d, ev_t this_val, int argc, const ev_t *argv) {
  (void)this_val;
  (void)argc;
  (void)argv;
  return ev_throw_code("E_NATIVE_MISSING", "%s is not provided by this board (run with --devices)", (const char *)d);
}

/* ---- handles ------------------------------------------------------------------------------------ */
static handle_obj *new_handle(int kind, ev_t options, const ev_native_info *info, ev_t proto, ev_t *self) {
  handle_obj *h = calloc(1, sizeof *h);
  if (!h) return NULL;
  *self = ev_native_object(info, h, proto);
  if (ev_is_exception(*self)) {
    free(h);
    return NULL;
  }
  h->kind = kind;
  h->id = handle_add(kind, h);
  h->open = true;
  h->options = ev_dup(options);
  h->self = ev_dup(*self);
  for (int i = 0; i < 64; i++)
    if (!all[i]) {
      all[i] = h;
      break;
    }
  active++;
  return h;
}

static void drop_handle(handle_obj *h) {
  if (!h->open) return;
  h->open = false;
  active--;
  handle_remove(h->id);
  for (int i = 0; i < 64; i++)
    if (all[i] == h) all[i] = NULL;
  ev_t self = h->self, options = h->options;
  h->self = h->options = ev_undefined();
  ev_free(options);
  ev_free(self);
}

static ev_t handle_msg(handle_obj *h) {
  ev_t m = ev_object();
  ev_set(m, "h", ev_number(h->id));
  return m;
}

/* ---- card --------------------------------------------------------------------------------------- */
static ev_t card_proto;

static handle_obj *this_card(ev_t t, ev_t *exc) {
  handle_obj *h = ev_native_ptr(t, &card_info);
  if (!h) *exc = ev_throw_code("E_OPTIONS", "not a card slot");
  else if (!h->open) *exc = ev_throw_code("E_CARD_CLOSED", "closed");
  return h && h->open ? h : NULL;
}

static ev_t c_present(void *d, ev_t t, int argc, const ev_t *argv) {
  (void)d;
  (void)argc;
  (void)argv;
  handle_obj *h = ev_native_ptr(t, &card_info);
  return ev_bool(h && h->open && h->present);
}

static ev_t c_simple(void *d, ev_t t, int argc, const ev_t *argv) {
  (void)argc;
  (void)argv;
  ev_t exc;
  handle_obj *h = this_card(t, &exc);
  if (!h) return exc;
  ev_t r = request((const char *)d, handle_msg(h), true);
  if (ev_is_exception(r)) return r;
  ev_free(r);
  return ev_undefined();
}

static ev_t c_transmit(void *d, ev_t t, int argc, const ev_t *argv) {
  (void)d;
  ev_t exc;
  handle_obj *h = this_card(t, &exc);
  if (!h) return exc;
  uint8_t *p;
  size_t n;
  if (!ev_u8(arg_at(argc, argv, 0), &p, &n)) return ev_throw_code("E_OPTIONS", "transmit takes a Uint8Array");
  ev_t m = handle_msg(h);
  ev_set(m, "apdu", ev_bytes(p, n));
  ev_t r = request("card.transmit", m, true);
  if (ev_is_exception(r)) return r;
  ev_free(r);
  return ev_undefined();
}

static ev_t c_read(void *d, ev_t t, int argc, const ev_t *argv) {
  (void)d;
  (void)argc;
  (void)argv;
  ev_t exc;
  handle_obj *h = this_card(t, &exc);
  if (!h) return exc;
  if (!h->nmsg) return ev_undefined();
  ev_t out = ev_bytes(h->msgs[0], h->msg_len[0]);
  free(h->msgs[0]);
  memmove(h->msgs, h->msgs + 1, sizeof h->msgs[0] * (size_t)(h->nmsg - 1));
  memmove(h->msg_len, h->msg_len + 1, sizeof h->msg_len[0] * (size_t)(h->nmsg - 1));
  h->nmsg--;
  return out;
}

static ev_t close_common(ev_t t, const ev_native_info *info, const char *op) {
  handle_obj *h = ev_native_ptr(t, info);
  if (!h || !h->open) return ev_undefined();
  ev_t r = request(op, handle_msg(h), false);
  drop_handle(h);
  if (ev_is_exception(r)) ev_free(ev_exception_value(r));
  else ev_free(r);
  return ev_undefined();
}

static ev_t c_close(void *d, ev_t t, int argc, const ev_t *argv) {
  (void)d;
  (void)argc;
  (void)argv;
  return close_common(t, &card_info, "card.close");
}

static int check_callbacks(ev_t options, const char *const *names, ev_t *exc) {
  if (!ev_is_object(options)) {
    *exc = ev_throw_code("E_OPTIONS", "options object required");
    return -1;
  }
  for (int i = 0; names[i]; i++) {
    ev_t cb;
    if (opt_callback(options, names[i], &cb, exc)) return -1;
    ev_free(cb);
  }
  return 0;
}

static ev_t open_with(ev_t options, int kind, const char *op, ev_t extra_field_value, const char *extra_field,
                      const ev_native_info *info, ev_t proto) {
  ev_t self;
  handle_obj *h = new_handle(kind, options, info, proto, &self);
  if (!h) {
    if (extra_field) ev_free(extra_field_value);
    return ev_throw_code("E_NO_MEMORY", "handle");
  }
  ev_t m = handle_msg(h);
  if (extra_field) ev_set(m, extra_field, extra_field_value);
  ev_t r = request(op, m, true);
  if (ev_is_exception(r)) {
    drop_handle(h);
    ev_free(self);
    return r;
  }
  if (ev_is_object(r)) {
    ev_t p = ev_get(r, "present");
    h->present = ev_truthy(p);
    ev_free(p);
  }
  ev_free(r);
  return ev_freeze(self);
}

static ev_t f_card_open(void *d, ev_t t, int argc, const ev_t *argv) {
  (void)d;
  (void)t;
  ev_t options = arg_at(argc, argv, 0), exc;
  static const char *const names[] = {"onReadable", "onError", "onPresent", "onRemoved", NULL};
  if (check_callbacks(options, names, &exc)) return exc;
  ev_t slot = ev_get(options, "slot");
  char s[16] = "";
  if (ev_is_string(slot)) ev_string_utf8(slot, s, sizeof s);
  ev_free(slot);
  if (strcmp(s, "contact") != 0 && strcmp(s, "contactless") != 0) return ev_throw_code("E_OPTIONS", "slot");
  return open_with(options, H_CARD, "card.open", ev_string(s), "slot", &card_info, card_proto);
}

/* ---- magstripe and keypad ----------------------------------------------------------------------- */
static ev_t plain_proto_swipe, plain_proto_keys;

static ev_t swipe_close(void *d, ev_t t, int argc, const ev_t *argv) {
  (void)argc;
  (void)argv;
  return close_common(t, &plain_info, (const char *)d);
}

static ev_t f_magstripe_open(void *d, ev_t t, int argc, const ev_t *argv) {
  (void)d;
  (void)t;
  ev_t options = arg_at(argc, argv, 0), exc;
  static const char *const names[] = {"onSwipe", "onError", NULL};
  if (check_callbacks(options, names, &exc)) return exc;
  return open_with(options, H_SWIPE, "magstripe.open", ev_undefined(), NULL, &plain_info, plain_proto_swipe);
}

static ev_t f_keypad_open(void *d, ev_t t, int argc, const ev_t *argv) {
  (void)d;
  (void)t;
  ev_t options = arg_at(argc, argv, 0), exc;
  static const char *const names[] = {"onKey", NULL};
  if (check_callbacks(options, names, &exc)) return exc;
  return open_with(options, H_KEYS, "keypad.open", ev_undefined(), NULL, &plain_info, plain_proto_keys);
}

/* ---- display ------------------------------------------------------------------------------------ */
static ev_t d_clear(void *d, ev_t t, int argc, const ev_t *argv) {
  (void)d;
  (void)t;
  (void)argc;
  (void)argv;
  return request("display.clear", ev_object(), false);
}

static ev_t d_flush(void *d, ev_t t, int argc, const ev_t *argv) {
  (void)d;
  (void)t;
  (void)argc;
  (void)argv;
  return request("display.flush", ev_object(), false);
}

static ev_t d_text(void *d, ev_t t, int argc, const ev_t *argv) {
  (void)d;
  (void)t;
  ev_t row = arg_at(argc, argv, 0), text = arg_at(argc, argv, 1), opts = arg_at(argc, argv, 2);
  double r = ev_is_number(row) ? ev_number_value(row) : -1;
  if (!is_integer(r) || r < 0 || r >= rows) return ev_throw_code("E_OPTIONS", "row %g outside 0..%d", r, rows - 1);
  if (!ev_is_undefined(opts) && !ev_is_object(opts)) return ev_throw_code("E_OPTIONS", "text options must be an object");
  ev_t m = ev_object();
  ev_set(m, "row", ev_number(r));
  size_t n = 0;
  char *s = ev_string_dup(text, &n);
  if (!s) {
    ev_free(m);
    return ev_throw_code("E_NO_MEMORY", "text");
  }
  ev_set(m, "text", ev_string_n(s, n));
  free(s);
  ev_set(m, "options", ev_is_undefined(opts) ? ev_object() : ev_dup(opts));
  return request("display.text", m, false);
}

/* ---- PED ---------------------------------------------------------------------------------------- */
enum { PED_BYTES, PED_BOOL, PED_NONE };

static ev_t ped_call(void *d, ev_t t, int argc, const ev_t *argv) {
  (void)t;
  const char *op = d;
  int kind = PED_NONE;
  if (!strcmp(op, "loadKey") || !strcmp(op, "kcv") || !strcmp(op, "mac") || !strcmp(op, "encrypt")) kind = PED_BYTES;
  if (!strcmp(op, "hasKey")) kind = PED_BOOL;
  ev_t m = ev_object();
  ev_t a = arg_at(argc, argv, 0);
  if (!strcmp(op, "kcv") || !strcmp(op, "hasKey") || !strcmp(op, "erase")) {
    ev_t args = ev_object();
    ev_set(args, "slot", ev_dup(a));
    ev_set(m, "args", args);
  } else if (!strcmp(op, "cancelPinEntry")) {
    ev_set(m, "args", ev_object());
  } else {
    if (!ev_is_object(a)) {
      ev_free(m);
      return ev_throw_code("E_OPTIONS", "options object required");
    }
    ev_set(m, "args", ev_dup(a));
  }
  char name[40];
  snprintf(name, sizeof name, "ped.%s", op);
  ev_t r = request(name, m, true);
  if (ev_is_exception(r)) return r;
  if (kind == PED_BYTES) {
    ev_t b = hex_to_bytes(r);
    ev_free(r);
    return b;
  }
  if (kind == PED_BOOL) {
    bool v = ev_truthy(r);
    ev_free(r);
    return ev_bool(v);
  }
  ev_free(r);
  return ev_undefined();
}

static ev_t ped_pin_entry(void *d, ev_t t, int argc, const ev_t *argv) {
  (void)d;
  (void)t;
  ev_t o = arg_at(argc, argv, 0), exc;
  static const char *const names[] = {"onKey", "onDone", NULL};
  if (check_callbacks(o, names, &exc)) return exc;
  ev_t done = ev_get(o, "onDone");
  bool has_done = ev_is_function(done);
  ev_free(done);
  if (!has_done) return ev_throw_code("E_OPTIONS", "onDone required");
  ev_t self;
  handle_obj *h = new_handle(H_PIN, o, &plain_info, ev_undefined(), &self);
  if (!h) return ev_throw_code("E_NO_MEMORY", "pin entry");
  ev_free(self); /* rooted by the handle until onDone */
  ev_t m = handle_msg(h);
  ev_set(m, "args", ev_dup(o));
  ev_t r = request("ped.pinEntry", m, true);
  if (ev_is_exception(r)) {
    drop_handle(h);
    return r;
  }
  ev_free(r);
  return ev_undefined();
}

/* ---- events ------------------------------------------------------------------------------------- */
static ev_t call_option(handle_obj *h, const char *key, int argc, ev_t a0) {
  ev_t fn = ev_get(h->options, key);
  if (!ev_is_function(fn)) {
    ev_free(fn);
    if (argc) ev_free(a0);
    return ev_undefined();
  }
  ev_t r = call_cb(fn, argc, a0, ev_undefined());
  ev_free(fn);
  return r;
}

static ev_t copy_fields(ev_t from, const char *const *keys) {
  ev_t o = ev_object();
  for (int i = 0; keys[i]; i++) {
    ev_t v = ev_get(from, keys[i]);
    if (ev_is_undefined(v)) ev_free(v);
    else ev_set(o, keys[i], v);
  }
  return o;
}

ev_t devices_dispatch(const loop_event *e) {
  ev_t msg = ev_json_parse(e->s, e->slen);
  if (ev_is_exception(msg)) {
    ev_free(ev_exception_value(msg));
    port_log(2, "devices: unreadable event %s", e->s);
    return ev_undefined();
  }
  ev_t hv = ev_get(msg, "h"), evv = ev_get(msg, "ev");
  int id = ev_is_number(hv) ? (int)ev_number_value(hv) : 0;
  char kind[16] = "";
  if (ev_is_string(evv)) ev_string_utf8(evv, kind, sizeof kind);
  ev_free(hv);
  ev_free(evv);
  handle_obj *h = NULL;
  for (int k = H_CARD; k <= H_PIN && !h; k++) h = handle_get(id, k);
  ev_t r = ev_undefined();
  if (!h || !h->open) {
    ev_free(msg);
    return r;
  }
  if (!strcmp(kind, "present")) {
    h->present = true;
    r = call_option(h, "onPresent", 0, ev_undefined());
  } else if (!strcmp(kind, "removed")) {
    h->present = false;
    for (int i = 0; i < h->nmsg; i++) free(h->msgs[i]);
    h->nmsg = 0;
    r = call_option(h, "onRemoved", 0, ev_undefined());
  } else if (!strcmp(kind, "message") && h->nmsg < MAX_MESSAGES) {
    ev_t data = ev_get(msg, "data");
    ev_t bytes = hex_to_bytes(data);
    ev_free(data);
    uint8_t *p;
    size_t n;
    if (!ev_is_exception(bytes) && ev_u8(bytes, &p, &n)) {
      h->msgs[h->nmsg] = malloc(n ? n : 1);
      if (h->msgs[h->nmsg]) {
        memcpy(h->msgs[h->nmsg], p, n);
        h->msg_len[h->nmsg++] = n;
      }
    }
    if (ev_is_exception(bytes)) ev_free(ev_exception_value(bytes));
    else ev_free(bytes);
    r = call_option(h, "onReadable", 1, ev_number(h->nmsg));
  } else if (!strcmp(kind, "error")) {
    char code[64] = "E_DEVICE", message[256] = "";
    ev_t c = ev_get(msg, "code"), m = ev_get(msg, "message");
    if (ev_is_string(c)) ev_string_utf8(c, code, sizeof code);
    if (ev_is_string(m)) ev_string_utf8(m, message, sizeof message);
    ev_free(c);
    ev_free(m);
    r = call_option(h, "onError", 1, ev_error(code, "%s", message));
  } else if (!strcmp(kind, "swipe")) {
    static const char *const keys[] = {"track1", "track2", "track3", "errors", NULL};
    r = call_option(h, "onSwipe", 1, copy_fields(msg, keys));
  } else if (!strcmp(kind, "key")) {
    r = call_option(h, "onKey", 1, ev_get(msg, "key"));
  } else if (!strcmp(kind, "pinkey")) {
    r = call_option(h, "onKey", 1, ev_get(msg, "count"));
  } else if (!strcmp(kind, "pindone")) {
    ev_t result = ev_object();
    ev_set(result, "status", ev_get(msg, "status"));
    ev_t pb = ev_get(msg, "pinBlock");
    if (ev_is_string(pb)) ev_set(result, "pinBlock", hex_to_bytes(pb));
    ev_free(pb);
    ev_t fn = ev_get(h->options, "onDone");
    drop_handle(h);
    r = call_cb(fn, 1, result, ev_undefined());
    ev_free(fn);
  }
  ev_free(msg);
  return r;
}

/* ---- assembly ----------------------------------------------------------------------------------- */
static void method(ev_t o, const char *name, int len, ev_native_fn fn, void *data) {
  ev_set(o, name, ev_function(name, len, fn, data));
}

ev_t devices_create(ev_t board) {
  bool on = link_fd >= 0;
  ev_t g = ev_global();
  json_obj = ev_get(g, "JSON");
  json_stringify = ev_get(json_obj, "stringify");
  ev_free(g);
  replacer = ev_function("hexBytes", 2, f_replacer, NULL);
  made = true;
  if (on) {
    static int hello_done;
    if (!hello_done) {
      ev_t m = ev_object();
      ev_set(m, "board", ev_string(g_cfg.board));
      ev_set(m, "version", ev_number(1));
      ev_t r = request("hello", m, true);
      if (ev_is_exception(r)) return r;
      ev_t disp = ev_is_object(r) ? ev_get(r, "display") : ev_undefined();
      if (ev_is_object(disp)) {
        ev_t rv = ev_get(disp, "rows"), cv = ev_get(disp, "columns");
        rows = (int)ev_number_value(rv);
        columns = (int)ev_number_value(cv);
        ev_free(rv);
        ev_free(cv);
      }
      ev_free(disp);
      ev_free(r);
      hello_done = 1;
      loop_watch(link_fd, POLLIN, false, on_link, NULL);
    }
    ev_free(request("boot", ev_object(), false));
  }

  card_proto = ev_object();
  ev_set_getter(card_proto, "present", ev_function("present", 0, c_present, NULL));
  method(card_proto, "powerOn", 0, c_simple, "card.powerOn");
  method(card_proto, "powerOff", 0, c_simple, "card.powerOff");
  method(card_proto, "transmit", 1, c_transmit, NULL);
  method(card_proto, "read", 0, c_read, NULL);
  method(card_proto, "close", 0, c_close, NULL);
  card_proto = ev_freeze(card_proto);
  plain_proto_swipe = ev_object();
  method(plain_proto_swipe, "close", 0, swipe_close, "magstripe.close");
  plain_proto_swipe = ev_freeze(plain_proto_swipe);
  plain_proto_keys = ev_object();
  method(plain_proto_keys, "close", 0, swipe_close, "keypad.close");
  plain_proto_keys = ev_freeze(plain_proto_keys);

  ev_t card = ev_object(), mag = ev_object(), keypad = ev_object(), display = ev_object(), ped = ev_object();
  method(card, "open", 1, on ? f_card_open : missing, "card");
  method(mag, "open", 1, on ? f_magstripe_open : missing, "magstripe");
  method(keypad, "open", 1, on ? f_keypad_open : missing, "keypad");
  ev_set(display, "rows", ev_number(on ? rows : 0));
  ev_set(display, "columns", ev_number(on ? columns : 0));
  method(display, "clear", 0, on ? d_clear : missing, "display");
  method(display, "text", 3, on ? d_text : missing, "display");
  method(display, "flush", 0, on ? d_flush : missing, "display");
  static const char *const ped_ops[] = {"loadKey", "hasKey", "kcv", "erase", "mac", "encrypt", "cancelPinEntry", NULL};
  for (int i = 0; ped_ops[i]; i++) method(ped, ped_ops[i], 1, on ? ped_call : missing, on ? (void *)ped_ops[i] : (void *)"ped");
  method(ped, "pinEntry", 1, on ? ped_pin_entry : missing, "ped");
  ev_set(board, "card", ev_freeze(card));
  ev_set(board, "magstripe", ev_freeze(mag));
  ev_set(board, "ped", ev_freeze(ped));
  ev_set(board, "display", ev_freeze(display));
  ev_set(board, "keypad", ev_freeze(keypad));
  return ev_undefined();
}

void devices_teardown(void) {
  for (int i = 0; i < 64; i++)
    if (all[i]) drop_handle(all[i]);
  active = 0;
  if (!made) return;
  ev_free(card_proto);
  ev_free(plain_proto_swipe);
  ev_free(plain_proto_keys);
  ev_free(replacer);
  ev_free(json_stringify);
  ev_free(json_obj);
  made = false;
}
