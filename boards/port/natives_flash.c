/*
 * flash: NOR semantics over a file. Erased bytes read 0xFF, program() can only clear bits (the new
 * value is ANDed with the cells), erase() resets a whole sector. Every change is written through to
 * the file before the call returns, so a process that dies keeps what the cells kept.
 *
 * Power-cut injection (--power-cut N[:BYTES]): the Nth program/erase of the process lands only BYTES
 * of its bytes (half by default), the file is synced, and the board loses power: the script stops at
 * once and the port either ends the process (default) or reboots in-process (--on-cut reboot).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "port.h"

static int fd = -1;
static uint8_t *cells;
static size_t total;
static long operations;

int flash_open(void) {
  total = (size_t)g_cfg.sector_size * g_cfg.sector_count;
  cells = malloc(total);
  if (!cells) return -1;
  memset(cells, 0xff, total);
  fd = open(g_cfg.flash_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    port_log(3, "flash %s: %s", g_cfg.flash_path, strerror(errno));
    return -1;
  }
  struct stat st;
  fstat(fd, &st);
  size_t have = (size_t)st.st_size < total ? (size_t)st.st_size : total;
  if (have && pread(fd, cells, have, 0) != (ssize_t)have) {
    port_log(3, "flash %s: short read", g_cfg.flash_path);
    return -1;
  }
  if ((size_t)st.st_size < total) {
    /* A new (or smaller) flash file: the rest is erased cells. */
    if (pwrite(fd, cells + have, total - have, (off_t)have) != (ssize_t)(total - have)) {
      port_log(3, "flash %s: cannot extend: %s", g_cfg.flash_path, strerror(errno));
      return -1;
    }
  }
  return 0;
}

void flash_close(void) {
  if (fd >= 0) close(fd);
  fd = -1;
  free(cells);
  cells = NULL;
}

static int write_through(size_t off, size_t len) {
  if (!len) return 0;
  return pwrite(fd, cells + off, len, (off_t)off) == (ssize_t)len ? 0 : -1;
}

/* Counts an operation; returns how many of its `len` bytes land (all unless the cut is due). */
static size_t tick(size_t len, bool *cut) {
  operations++;
  *cut = g_cfg.cut_at > 0 && operations == g_cfg.cut_at;
  if (!*cut) return len;
  size_t landed = g_cfg.cut_landed < 0 ? len / 2 : (size_t)g_cfg.cut_landed;
  return landed < len ? landed : len;
}

static ev_t power_cut(const char *what, size_t landed, size_t len) {
  fsync(fd);
  port_log(2, "power cut during flash %s #%ld (%zu of %zu bytes landed)", what, operations, landed, len);
  loop_request_stop(STOP_CUT, 3);
  return ev_throw_halt("E_POWER_OFF", "power cut");
}

static bool range_ok(double off, double len) {
  return is_integer(off) && is_integer(len) && off >= 0 && len >= 0 && off + len <= (double)total;
}

static ev_t f_read(void *d, ev_t this_val, int argc, const ev_t *argv) {
  (void)d;
  (void)this_val;
  ev_t ov = arg_at(argc, argv, 0), lv = arg_at(argc, argv, 1), into = arg_at(argc, argv, 2);
  double off = ev_is_number(ov) ? ev_number_value(ov) : -1, len = ev_is_number(lv) ? ev_number_value(lv) : -1;
  if (!range_ok(off, len)) return ev_throw_code("E_FLASH_RANGE", "offset %g length %g outside %zu bytes", off, len, total);
  if (!ev_is_undefined(into)) {
    uint8_t *p;
    size_t n;
    if (!ev_u8(into, &p, &n)) return ev_throw_code("E_OPTIONS", "into must be a Uint8Array");
    if (n < (size_t)len) return ev_throw_code("E_OPTIONS", "buffer too small");
    memcpy(p, cells + (size_t)off, (size_t)len);
    return ev_dup(into);
  }
  return ev_bytes(cells + (size_t)off, (size_t)len);
}

static ev_t f_program(void *d, ev_t this_val, int argc, const ev_t *argv) {
  (void)d;
  (void)this_val;
  ev_t ov = arg_at(argc, argv, 0);
  uint8_t *src;
  size_t n;
  if (!ev_u8(arg_at(argc, argv, 1), &src, &n)) return ev_throw_code("E_OPTIONS", "program takes a Uint8Array");
  double off = ev_is_number(ov) ? ev_number_value(ov) : -1;
  if (!range_ok(off, (double)n)) return ev_throw_code("E_FLASH_RANGE", "offset %g length %zu outside %zu bytes", off, n, total);
  bool cut;
  size_t land = tick(n, &cut);
  uint8_t *dst = cells + (size_t)off;
  for (size_t i = 0; i < land; i++) dst[i] &= src[i];
  if (write_through((size_t)off, land) < 0) return ev_throw_code("E_FLASH_IO", "%s", strerror(errno));
  if (cut) return power_cut("program", land, n);
  return ev_undefined();
}

static ev_t f_erase(void *d, ev_t this_val, int argc, const ev_t *argv) {
  (void)d;
  (void)this_val;
  ev_t sv = arg_at(argc, argv, 0);
  double s = ev_is_number(sv) ? ev_number_value(sv) : -1;
  if (!is_integer(s) || s < 0 || s >= g_cfg.sector_count) return ev_throw_code("E_FLASH_RANGE", "sector %g of %u", s, g_cfg.sector_count);
  bool cut;
  size_t land = tick(g_cfg.sector_size, &cut);
  size_t at = (size_t)s * g_cfg.sector_size;
  memset(cells + at, 0xff, land);
  if (write_through(at, land) < 0) return ev_throw_code("E_FLASH_IO", "%s", strerror(errno));
  if (cut) return power_cut("erase", land, g_cfg.sector_size);
  return ev_undefined();
}

ev_t flash_create(void) {
  ev_t o = ev_object();
  ev_set(o, "sectorSize", ev_number(g_cfg.sector_size));
  ev_set(o, "sectorCount", ev_number(g_cfg.sector_count));
  ev_set(o, "read", ev_function("read", 3, f_read, NULL));
  ev_set(o, "program", ev_function("program", 2, f_program, NULL));
  ev_set(o, "erase", ev_function("erase", 1, f_erase, NULL));
  return ev_freeze(o);
}
