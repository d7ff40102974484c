/*
 * serial: UARTs over termios, ECMA-419 shaped. open() validates the whole options object before any
 * device is touched; read() never blocks (undefined when the ring is empty); write() queues all of
 * the data or throws E_SERIAL_FULL; callbacks run only between scripts; close() is idempotent.
 *
 * Receive: bytes move from the kernel into a native ring (8 KB) in the event loop and, while a long
 * script or a garbage collection runs, from the engine's interrupt hook. When the ring is full the
 * port stops reading: the kernel's tty buffer holds the rest and, with flowControl "rtscts", the
 * driver drops RTS, so the sender waits instead of bytes being lost.
 *
 * Port names map to devices by the command line: `--port NAME=/dev/ttyUSB2` or `--port NAME=pty:LINK`
 * (a pseudo-terminal: the firmware gets the master, LINK points at the slave for the far end).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "port.h"

#define RX_RING 8192
#define TX_RING 4096
#define H_SERIAL 1

typedef struct serial_port {
  int id;
  int fd;
  port_map *map;
  bool open;
  bool readable_posted;
  bool read_paused;
  bool error_posted;
  bool writable_wanted;
  ev_t self;     /* the JS object, rooted while open */
  ev_t options;  /* the options object with the callbacks, rooted while open */
  uint8_t rx[RX_RING];
  size_t rx_head, rx_len;
  uint8_t tx[TX_RING];
  size_t tx_head, tx_len;
} serial_port;

static const ev_native_info serial_info = {"Serial", free};
static ev_t serial_proto;
static bool proto_made;

/* ---- port map: ptys live for the whole process (across reboots) -------------------------------- */
int ports_setup(void) {
  for (int i = 0; i < g_cfg.nports; i++) {
    port_map *m = &g_cfg.ports[i];
    m->pty_master = m->pty_slave = -1;
    if (strncmp(m->spec, "pty", 3) != 0) continue;
    m->is_pty = true;
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0) {
      port_log(3, "port %s: cannot make a pseudo-terminal: %s", m->name, strerror(errno));
      if (master >= 0) close(master);
      return -1;
    }
    const char *slave = ptsname(master);
    snprintf(m->slave_path, sizeof m->slave_path, "%s", slave ? slave : "");
    m->pty_master = master;
    m->pty_slave = open(m->slave_path, O_RDWR | O_NOCTTY);
    struct termios t;
    if (m->pty_slave >= 0 && tcgetattr(m->pty_slave, &t) == 0) {
      cfmakeraw(&t);
      tcsetattr(m->pty_slave, TCSANOW, &t);
    }
    if (m->spec[3] == ':' && m->spec[4]) {
      unlink(m->spec + 4);
      if (symlink(m->slave_path, m->spec + 4) < 0) {
        port_log(3, "port %s: cannot link %s to %s: %s", m->name, m->spec + 4, m->slave_path, strerror(errno));
        return -1;
      }
    }
    if (!g_cfg.quiet) port_log(1, "port %s is the pseudo-terminal %s%s%s", m->name, m->slave_path, m->spec[3] == ':' ? " linked at " : "", m->spec[3] == ':' ? m->spec + 4 : "");
  }
  return 0;
}

void ports_shutdown(void) {
  for (int i = 0; i < g_cfg.nports; i++) {
    port_map *m = &g_cfg.ports[i];
    if (!m->is_pty) continue;
    if (m->pty_master >= 0) close(m->pty_master);
    if (m->pty_slave >= 0) close(m->pty_slave);
    m->pty_master = m->pty_slave = -1;
    if (m->spec[3] == ':' && m->spec[4]) unlink(m->spec + 4);
  }
}

static port_map *find_map(const char *name) {
  for (int i = 0; i < g_cfg.nports; i++)
    if (strcmp(g_cfg.ports[i].name, name) == 0) return &g_cfg.ports[i];
  return NULL;
}

static speed_t baud_constant(double baud) {
  static const struct {
    double b;
    speed_t s;
  } table[] = {{1200, B1200}, {2400, B2400}, {4800, B4800}, {9600, B9600}, {19200, B19200}, {38400, B38400}, {57600, B57600},
               {115200, B115200}, {230400, B230400}, {460800, B460800}, {921600, B921600}};
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
    if (table[i].b == baud) return table[i].s;
  return 0;
}

/* ---- ring I/O ----------------------------------------------------------------------------------- */
static short wanted_events(serial_port *p) {
  short ev = 0;
  if (!p->read_paused && !p->error_posted) ev |= POLLIN;
  if (p->tx_len) ev |= POLLOUT;
  return ev;
}

static void post_error(serial_port *p, const char *code, const char *msg) {
  if (p->error_posted) return;
  p->error_posted = true;
  char buf[256];
  int n = snprintf(buf, sizeof buf, "%s%c%s", code, 0, msg);
  loop_post(EV_SERIAL_ERROR, p->id, 0, buf, (size_t)n);
  loop_set_events(p->fd, wanted_events(p));
}

/* Kernel -> ring, without posting (safe inside a script). Returns bytes moved. */
static size_t fill_rx(serial_port *p) {
  size_t moved = 0;
  while (p->rx_len < RX_RING && !p->error_posted) {
    size_t tail = (p->rx_head + p->rx_len) % RX_RING;
    size_t room = RX_RING - p->rx_len;
    size_t chunk = tail + room > RX_RING ? RX_RING - tail : room;
    ssize_t n = read(p->fd, p->rx + tail, chunk);
    if (n > 0) {
      p->rx_len += (size_t)n;
      moved += (size_t)n;
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) break;
    if (n < 0 && errno == EIO && p->map->is_pty) break; /* the far end of a pty is not open yet */
    post_error(p, "E_SERIAL_IO", n == 0 ? "the device went away" : strerror(errno));
    break;
  }
  p->read_paused = p->rx_len == RX_RING;
  return moved;
}

static void flush_tx(serial_port *p) {
  while (p->tx_len) {
    size_t chunk = p->tx_head + p->tx_len > TX_RING ? TX_RING - p->tx_head : p->tx_len;
    ssize_t n = write(p->fd, p->tx + p->tx_head, chunk);
    if (n > 0) {
      p->tx_head = (p->tx_head + (size_t)n) % TX_RING;
      p->tx_len -= (size_t)n;
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) break;
    post_error(p, "E_SERIAL_IO", strerror(errno));
    p->tx_len = 0;
    break;
  }
}

static void on_fd(void *ctx, int fd, short revents) {
  (void)fd;
  serial_port *p = ctx;
  if (revents & POLLIN) fill_rx(p);
  if (revents & POLLOUT) {
    size_t before = p->tx_len;
    flush_tx(p);
    if (before && p->tx_len == 0 && p->writable_wanted) {
      p->writable_wanted = false;
      loop_post(EV_SERIAL_WRITABLE, p->id, TX_RING, NULL, 0);
    }
  }
  if ((revents & (POLLERR | POLLNVAL)) || ((revents & POLLHUP) && !p->map->is_pty)) post_error(p, "E_SERIAL_IO", "hang-up or error on the device");
  if (p->open) loop_set_events(p->fd, wanted_events(p));
}

static serial_port *open_ports[PORT_MAX_PORTS];

void serial_pump(void) {
  for (int i = 0; i < PORT_MAX_PORTS; i++)
    if (open_ports[i] && !open_ports[i]->read_paused) fill_rx(open_ports[i]);
}

void serial_before_poll(void) {
  for (int i = 0; i < PORT_MAX_PORTS; i++) {
    serial_port *p = open_ports[i];
    if (!p) continue;
    if (p->rx_len && !p->readable_posted) {
      p->readable_posted = true;
      loop_post(EV_SERIAL_READABLE, p->id, (double)p->rx_len, NULL, 0);
    }
    loop_set_events(p->fd, wanted_events(p));
  }
}

static void release(serial_port *p) {
  if (!p->open) return;
  p->open = false;
  loop_unwatch(p->fd);
  if (!p->map->is_pty) close(p->fd);
  p->map->busy = false;
  handle_remove(p->id);
  for (int i = 0; i < PORT_MAX_PORTS; i++)
    if (open_ports[i] == p) open_ports[i] = NULL;
  ev_t self = p->self, options = p->options;
  p->self = p->options = ev_undefined();
  ev_free(options);
  ev_free(self); /* may collect the object: `p` is freed by its finalizer later, not here */
}

/* ---- methods ------------------------------------------------------------------------------------ */
static serial_port *this_port(ev_t this_val, ev_t *exc) {
  serial_port *p = ev_native_ptr(this_val, &serial_info);
  if (!p) *exc = ev_throw_code("E_OPTIONS", "not a serial port");
  else if (!p->open) *exc = ev_throw_code("E_SERIAL_CLOSED", "closed");
  return p && p->open ? p : NULL;
}

static ev_t m_read(void *d, ev_t this_val, int argc, const ev_t *argv) {
  (void)d;
  ev_t exc;
  serial_port *p = this_port(this_val, &exc);
  if (!p) return exc;
  ev_t maxv = arg_at(argc, argv, 0);
  size_t max = p->rx_len;
  if (!ev_is_undefined(maxv)) {
    double m = ev_is_number(maxv) ? ev_number_value(maxv) : -1;
    if (!is_integer(m) || m < 0) return ev_throw_code("E_OPTIONS", "read(max): max must be a non-negative integer");
    if (m > 0 && (size_t)m < max) max = (size_t)m;
  }
  p->readable_posted = false;
  if (p->rx_len == 0) return ev_undefined();
  ev_t out = ev_bytes(NULL, max);
  if (ev_is_exception(out)) return out;
  uint8_t *dst;
  size_t n;
  ev_u8(out, &dst, &n);
  for (size_t i = 0; i < max; i++) dst[i] = p->rx[(p->rx_head + i) % RX_RING];
  p->rx_head = (p->rx_head + max) % RX_RING;
  p->rx_len -= max;
  if (p->read_paused && p->rx_len < RX_RING) {
    p->read_paused = false;
    loop_set_events(p->fd, wanted_events(p));
  }
  if (p->rx_len) {
    p->readable_posted = true;
    loop_post(EV_SERIAL_READABLE, p->id, (double)p->rx_len, NULL, 0);
  }
  return out;
}

static ev_t m_write(void *d, ev_t this_val, int argc, const ev_t *argv) {
  (void)d;
  ev_t exc;
  serial_port *p = this_port(this_val, &exc);
  if (!p) return exc;
  uint8_t *src;
  size_t n;
  if (!ev_u8(arg_at(argc, argv, 0), &src, &n)) return ev_throw_code("E_OPTIONS", "write takes a Uint8Array");
  if (p->error_posted) return ev_throw_code("E_SERIAL_IO", "the port failed");
  if (n > TX_RING - p->tx_len) {
    p->writable_wanted = true;
    return ev_throw_code("E_SERIAL_FULL", "%zu bytes do not fit in %zu free", n, TX_RING - p->tx_len);
  }
  for (size_t i = 0; i < n; i++) p->tx[(p->tx_head + p->tx_len + i) % TX_RING] = src[i];
  p->tx_len += n;
  flush_tx(p);
  loop_set_events(p->fd, wanted_events(p));
  return ev_undefined();
}

static ev_t m_writable(void *d, ev_t this_val, int argc, const ev_t *argv) {
  (void)d;
  (void)argc;
  (void)argv;
  serial_port *p = ev_native_ptr(this_val, &serial_info);
  return ev_number(p && p->open ? (double)(TX_RING - p->tx_len) : 0);
}

static int line_flag(ev_t lines, const char *key, int *out, ev_t *exc) {
  ev_t v = ev_get(lines, key);
  *out = -1;
  if (ev_is_undefined(v)) return 0;
  if (!ev_is_bool(v)) {
    ev_free(v);
    *exc = ev_throw_code("E_OPTIONS", "set(): %s must be a boolean", key);
    return -1;
  }
  *out = ev_truthy(v);
  ev_free(v);
  return 0;
}

static ev_t m_set(void *d, ev_t this_val, int argc, const ev_t *argv) {
  (void)d;
  ev_t exc;
  serial_port *p = this_port(this_val, &exc);
  if (!p) return exc;
  ev_t lines = arg_at(argc, argv, 0);
  if (!ev_is_object(lines)) return ev_throw_code("E_OPTIONS", "set() takes { dtr?, rts?, break? }");
  int dtr, rts, brk;
  if (line_flag(lines, "dtr", &dtr, &exc) || line_flag(lines, "rts", &rts, &exc) || line_flag(lines, "break", &brk, &exc)) return exc;
  /* Modem control lines where the port has them: a pty has none, so those requests do nothing. */
  int bits;
  if (dtr >= 0) {
    bits = TIOCM_DTR;
    ioctl(p->fd, dtr ? TIOCMBIS : TIOCMBIC, &bits);
  }
  if (rts >= 0) {
    bits = TIOCM_RTS;
    ioctl(p->fd, rts ? TIOCMBIS : TIOCMBIC, &bits);
  }
  if (brk >= 0) ioctl(p->fd, brk ? TIOCSBRK : TIOCCBRK, 0);
  return ev_undefined();
}

static ev_t m_close(void *d, ev_t this_val, int argc, const ev_t *argv) {
  (void)d;
  (void)argc;
  (void)argv;
  serial_port *p = ev_native_ptr(this_val, &serial_info);
  if (p && p->open) release(p);
  return ev_undefined();
}

/* ---- open --------------------------------------------------------------------------------------- */
static int get_choice(ev_t options, const char *key, const char *const *choices, int dflt, int *out, ev_t *exc) {
  ev_t v = ev_get(options, key);
  *out = dflt;
  if (ev_is_undefined(v)) return 0;
  char buf[32] = "";
  if (ev_is_string(v)) ev_string_utf8(v, buf, sizeof buf);
  else if (ev_is_number(v)) snprintf(buf, sizeof buf, "%g", ev_number_value(v));
  ev_free(v);
  for (int i = 0; choices[i]; i++)
    if (strcmp(buf, choices[i]) == 0) {
      *out = i;
      return 0;
    }
  *exc = ev_throw_code("E_OPTIONS", "%s: unsupported value \"%s\"", key, buf);
  return -1;
}

static int configure_tty(int fd, double baud, int data_bits, int parity, int stop_bits, int rtscts, char *err, size_t errcap) {
  struct termios t;
  if (tcgetattr(fd, &t) < 0) {
    snprintf(err, errcap, "not a terminal: %s", strerror(errno));
    return -1;
  }
  cfmakeraw(&t);
  speed_t s = baud_constant(baud);
  cfsetispeed(&t, s);
  cfsetospeed(&t, s);
  t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB | PARODD | CSTOPB | CRTSCTS);
  t.c_cflag |= (data_bits == 7 ? CS7 : CS8) | CLOCAL | CREAD;
  if (parity == 1) t.c_cflag |= PARENB;
  if (parity == 2) t.c_cflag |= PARENB | PARODD;
  if (stop_bits == 2) t.c_cflag |= CSTOPB;
  if (rtscts) t.c_cflag |= CRTSCTS;
  t.c_cc[VMIN] = 0;
  t.c_cc[VTIME] = 0;
  if (tcsetattr(fd, TCSANOW, &t) < 0) {
    snprintf(err, errcap, "cannot configure the line: %s", strerror(errno));
    return -1;
  }
  tcflush(fd, TCIOFLUSH);
  return 0;
}

static ev_t f_open(void *d, ev_t this_val, int argc, const ev_t *argv) {
  (void)d;
  (void)this_val;
  ev_t options = arg_at(argc, argv, 0);
  if (!ev_is_object(options)) return ev_throw_code("E_OPTIONS", "options object required");
  ev_t exc, cb;
  static const char *const cbs[] = {"onReadable", "onWritable", "onError"};
  for (int i = 0; i < 3; i++) {
    if (opt_callback(options, cbs[i], &cb, &exc)) return exc;
    ev_free(cb);
  }
  ev_t portv = ev_get(options, "port");
  char name[64] = "";
  bool port_ok = ev_is_string(portv) && ev_string_utf8(portv, name, sizeof name) < sizeof name;
  ev_free(portv);
  if (!port_ok) return ev_throw_code("E_OPTIONS", "port required");
  ev_t baudv = ev_get(options, "baud");
  double baud = ev_is_number(baudv) ? ev_number_value(baudv) : -1;
  ev_free(baudv);
  if (!(baud > 0)) return ev_throw_code("E_OPTIONS", "baud required");
  if (!baud_constant(baud)) return ev_throw_code("E_OPTIONS", "baud %g is not supported", baud);
  static const char *const bits_c[] = {"8", "7", NULL};
  static const char *const parity_c[] = {"none", "even", "odd", NULL};
  static const char *const stop_c[] = {"1", "2", NULL};
  static const char *const flow_c[] = {"none", "rtscts", NULL};
  int bits, parity, stop, flow;
  if (get_choice(options, "dataBits", bits_c, 0, &bits, &exc) || get_choice(options, "parity", parity_c, 0, &parity, &exc) ||
      get_choice(options, "stopBits", stop_c, 0, &stop, &exc) || get_choice(options, "flowControl", flow_c, 0, &flow, &exc))
    return exc;

  /* Everything is valid: only now touch the device. */
  port_map *m = find_map(name);
  if (!m) return ev_throw_code("E_SERIAL_PORT", "no device for port %s (run with --port %s=/dev/tty...)", name, name);
  if (m->busy) return ev_throw_code("E_SERIAL_BUSY", "%s is already open", name);
  int slot = -1;
  for (int i = 0; i < PORT_MAX_PORTS; i++)
    if (!open_ports[i]) {
      slot = i;
      break;
    }
  if (slot < 0) return ev_throw_code("E_SERIAL_BUSY", "too many open ports");
  int fd;
  if (m->is_pty) fd = m->pty_master;
  else fd = open(m->spec, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return ev_throw_code("E_SERIAL_PORT", "%s (%s): %s", name, m->spec, strerror(errno));
  char err[160];
  if (configure_tty(fd, baud, bits == 1 ? 7 : 8, parity, stop == 1 ? 2 : 1, flow == 1, err, sizeof err) < 0) {
    if (!m->is_pty) close(fd);
    return ev_throw_code("E_SERIAL_PORT", "%s (%s): %s", name, m->spec, err);
  }
  if (m->is_pty) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);

  serial_port *p = calloc(1, sizeof *p);
  if (!p) {
    if (!m->is_pty) close(fd);
    return ev_throw_code("E_NO_MEMORY", "serial port");
  }
  ev_t self = ev_native_object(&serial_info, p, serial_proto);
  if (ev_is_exception(self)) {
    free(p);
    if (!m->is_pty) close(fd);
    return self;
  }
  p->fd = fd;
  p->map = m;
  p->open = true;
  p->id = handle_add(H_SERIAL, p);
  p->options = ev_dup(options);
  p->self = ev_dup(self);
  m->busy = true;
  open_ports[slot] = p;
  loop_watch(fd, POLLIN, true, on_fd, p);
  return ev_freeze(self);
}

ev_t serial_dispatch(const loop_event *e) {
  serial_port *p = handle_get(e->id, H_SERIAL);
  if (!p || !p->open) return ev_undefined();
  const char *key = e->kind == EV_SERIAL_READABLE ? "onReadable" : e->kind == EV_SERIAL_WRITABLE ? "onWritable" : "onError";
  ev_t fn = ev_get(p->options, key);
  if (!ev_is_function(fn)) {
    ev_free(fn);
    return ev_undefined();
  }
  ev_t arg;
  if (e->kind == EV_SERIAL_ERROR) arg = ev_error(e->s, "%s", e->s + strlen(e->s) + 1);
  else arg = ev_number(e->a);
  ev_t r = call_cb(fn, 1, arg, ev_undefined());
  ev_free(fn);
  return r;
}

static void add_method(ev_t obj, const char *name, int len, ev_native_fn fn) {
  ev_set(obj, name, ev_function(name, len, fn, NULL));
}

ev_t serial_create(void) {
  serial_proto = ev_object();
  add_method(serial_proto, "read", 1, m_read);
  add_method(serial_proto, "write", 1, m_write);
  add_method(serial_proto, "set", 1, m_set);
  add_method(serial_proto, "close", 0, m_close);
  ev_set_getter(serial_proto, "writable", ev_function("writable", 0, m_writable, NULL));
  serial_proto = ev_freeze(serial_proto);
  proto_made = true;
  ev_t o = ev_object();
  add_method(o, "open", 1, f_open);
  return ev_freeze(o);
}

void serial_teardown(void) {
  for (int i = 0; i < PORT_MAX_PORTS; i++)
    if (open_ports[i]) release(open_ports[i]);
  if (proto_made) ev_free(serial_proto);
  proto_made = false;
}
