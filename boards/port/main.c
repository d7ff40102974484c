/*
 * The native runtime: loads a firmware image (or a plain script), boots the engine with the board's
 * natives, runs the event loop, and boots again after system.reset() (RAM lost, flash and the
 * pseudo-terminals kept) until the firmware exits, goes idle or fails.
 *
 *   cup-port [options] FILE            FILE: a .js script or a firmware image (see image.h)
 *   cup-port --compile IN.js OUT.img   precompile for this engine and stamp the image header
 *   cup-port --engine                  print the engine id, features and payload kind
 *
 * Exit status: the firmware's system.exit() status; 0 when it went idle; 1 on an uncaught exception;
 * 2 for an image this runtime refuses; 3 after a power cut (unless --on-cut reboot); 4 for a boot loop;
 * 64 for a usage error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "board_config.h"
#include "image.h"
#include "port.h"

port_config g_cfg;

static void usage(void) {
  fprintf(stderr,
          "usage: cup-port [options] FILE (.js script or firmware image)\n"
          "       cup-port --compile IN.js OUT.img | --engine\n"
          "  --port NAME=DEV        map a serial port name to a device (/dev/ttyUSB2) or pty[:LINK]\n"
          "  --flash PATH           flash file (default %s)\n"
          "  --power-cut N[:BYTES]  cut power during the Nth flash program/erase\n"
          "  --on-cut exit|reboot   after a cut: end the process (status 3) or reboot\n"
          "  --devices unix:PATH|tcp:HOST:PORT   card, magstripe, PED, display, keypad link\n"
          "  --sn SERIAL            serial number (default %s)\n"
          "  --mem-limit BYTES      engine heap limit where the engine takes one\n"
          "  --max-boots N          boots before a boot loop is declared (default 8)\n"
          "  --log-level 0..3       lowest firmware log level printed\n"
          "  --quiet                no port messages on stderr\n",
          PORT_DEFAULT_FLASH, PORT_DEFAULT_SN);
}

static uint8_t *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  struct stat st;
  if (fstat(fileno(f), &st) < 0) {
    fclose(f);
    return NULL;
  }
  uint8_t *buf = malloc((size_t)st.st_size + 1);
  if (buf && fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  if (buf) {
    buf[st.st_size] = 0;
    *len = (size_t)st.st_size;
  }
  return buf;
}

static eng_config engine_config;

static int compile_image(const char *in, const char *out) {
  size_t len;
  uint8_t *src = read_file(in, &len);
  if (!src) {
    fprintf(stderr, "cup-port: %s: %s\n", in, strerror(errno));
    return 64;
  }
  if (eng_init(&engine_config) < 0) {
    fprintf(stderr, "cup-port: the engine did not start\n");
    free(src);
    return 1;
  }
  uint8_t *code = NULL;
  size_t n = 0;
  char err[2048];
  int rc = eng_compile((const char *)src, len, in, &code, &n, err, sizeof err);
  eng_cleanup();
  free(src);
  if (rc < 0) {
    fprintf(stderr, "cup-port: %s does not compile: %s\n", in, err);
    return 1;
  }
  uint8_t header[IMAGE_HEADER_SIZE];
  image_write_header(header, eng_image_kind(), eng_image_engine(), eng_image_features(), g_cfg.board, code, n);
  FILE *f = fopen(out, "wb");
  int ok = f && fwrite(header, 1, sizeof header, f) == sizeof header && fwrite(code, 1, n, f) == n;
  if (f && fclose(f) != 0) ok = 0;
  free(code);
  if (!ok) {
    fprintf(stderr, "cup-port: %s: %s\n", out, strerror(errno));
    return 1;
  }
  printf("%s: %s for %s (features 0x%x), %zu bytes + %d header\n", out, image_kind_name(eng_image_kind()), eng_image_engine(),
         eng_image_features(), n, IMAGE_HEADER_SIZE);
  return 0;
}

static int parse_args(int argc, char **argv, const char **file) {
  g_cfg.board = PORT_BOARD_NAME;
  g_cfg.flash_path = PORT_DEFAULT_FLASH;
  g_cfg.sector_size = PORT_FLASH_SECTOR_SIZE;
  g_cfg.sector_count = PORT_FLASH_SECTOR_COUNT;
  g_cfg.serial_number = PORT_DEFAULT_SN;
  g_cfg.cut_landed = -1;
  g_cfg.max_boots = 8;
  g_cfg.mem_limit = PORT_MEM_LIMIT;
  *file = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEEDS_VALUE                                   \
  if (!v) {                                           \
    fprintf(stderr, "cup-port: %s needs a value\n", a); \
    return -1;                                        \
  }                                                   \
  i++;
    if (!strcmp(a, "--port")) {
      NEEDS_VALUE
      const char *eq = strrchr(v, '=');
      if (!eq || g_cfg.nports == PORT_MAX_PORTS || eq - v >= 64) {
        fprintf(stderr, "cup-port: --port takes NAME=DEVICE\n");
        return -1;
      }
      port_map *m = &g_cfg.ports[g_cfg.nports++];
      memset(m, 0, sizeof *m);
      memcpy(m->name, v, (size_t)(eq - v));
      snprintf(m->spec, sizeof m->spec, "%s", eq + 1);
    } else if (!strcmp(a, "--flash")) {
      NEEDS_VALUE
      g_cfg.flash_path = v;
    } else if (!strcmp(a, "--power-cut")) {
      NEEDS_VALUE
      char *end;
      g_cfg.cut_at = strtol(v, &end, 10);
      if (*end == ':') g_cfg.cut_landed = strtol(end + 1, NULL, 10);
    } else if (!strcmp(a, "--on-cut")) {
      NEEDS_VALUE
      g_cfg.cut_reboot = !strcmp(v, "reboot");
    } else if (!strcmp(a, "--devices")) {
      NEEDS_VALUE
      g_cfg.devices = v;
    } else if (!strcmp(a, "--sn")) {
      NEEDS_VALUE
      g_cfg.serial_number = v;
    } else if (!strcmp(a, "--mem-limit")) {
      NEEDS_VALUE
      g_cfg.mem_limit = (size_t)strtoull(v, NULL, 10);
    } else if (!strcmp(a, "--max-boots")) {
      NEEDS_VALUE
      g_cfg.max_boots = atoi(v);
    } else if (!strcmp(a, "--log-level")) {
      NEEDS_VALUE
      g_cfg.log_level = atoi(v);
    } else if (!strcmp(a, "--quiet")) {
      g_cfg.quiet = true;
    } else if (a[0] == '-' && a[1]) {
      fprintf(stderr, "cup-port: unknown option %s\n", a);
      return -1;
    } else if (!*file) {
      *file = a;
    } else {
      return -1;
    }
  }
  return *file ? 0 : -1;
}

typedef struct program {
  uint8_t *data;
  size_t size;
  const uint8_t *payload;
  size_t payload_len;
  bool compiled;
  const char *name;
} program;

static int load_program(const char *path, program *p) {
  p->data = read_file(path, &p->size);
  p->name = path;
  if (!p->data) {
    fprintf(stderr, "cup-port: %s: %s\n", path, strerror(errno));
    return 64;
  }
  if (p->size >= 8 && memcmp(p->data, IMAGE_MAGIC, 8) == 0) {
    image_header h;
    char err[512];
    if (image_parse(p->data, p->size, &h, &p->payload, err, sizeof err) < 0 ||
        image_check_engine(&h, eng_image_kind(), eng_image_engine(), eng_image_features(), err, sizeof err) < 0) {
      fprintf(stderr, "cup-port: refusing %s: %s\n", path, err);
      return 2;
    }
    if (h.board[0] && strcmp(h.board, g_cfg.board) != 0 && !g_cfg.quiet)
      port_log(2, "image %s was built for board %s, this runtime is for %s", path, h.board, g_cfg.board);
    p->payload_len = h.payload_len;
    p->compiled = h.kind != IMAGE_KIND_SOURCE;
  } else {
    p->payload = p->data;
    p->payload_len = p->size;
  }
  return 0;
}

static int boot_once(const program *p, int boot) {
  loop_boot();
  if (eng_init(&engine_config) < 0) {
    port_log(3, "the engine did not start");
    return STOP_ERROR;
  }
  int stop;
  if (natives_install() < 0) {
    port_log(3, "the natives could not be installed");
    loop_request_stop(STOP_ERROR, 1);
  } else {
    size_t base;
    eng_memory(&base, NULL);
    if (!g_cfg.quiet) port_log(1, "boot %d: %s, %s, engine memory %zu B before the firmware", boot, eng_name(), p->name, base);
    ev_t r = p->compiled ? eng_exec_compiled(p->payload, p->payload_len)
                         : eng_eval((const char *)p->payload, p->payload_len, p->name);
    if (loop_settle(r, "the firmware's top level")) loop_run();
  }
  stop = loop_stop_kind();
  if (stop == STOP_NONE) stop = STOP_IDLE;
  size_t used, peak;
  eng_memory(&used, &peak);
  if (!g_cfg.quiet) port_log(1, "boot %d ended (%s), engine memory peak %zu B", boot,
                             stop == STOP_EXIT ? "exit" : stop == STOP_RESET ? "reset" : stop == STOP_CUT ? "power cut" : stop == STOP_IDLE ? "idle" : "error",
                             peak);
  natives_teardown();
  loop_shutdown();
  eng_cleanup();
  return stop;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  engine_config.interrupt = loop_interrupt;
  engine_config.halted = loop_stop_kind;
  if (argc == 2 && !strcmp(argv[1], "--engine")) {
    printf("%s %s kind %u features 0x%x\n", eng_name(), eng_image_engine(), eng_image_kind(), eng_image_features());
    return 0;
  }
  if (argc == 4 && !strcmp(argv[1], "--compile")) {
    g_cfg.board = PORT_BOARD_NAME;
    return compile_image(argv[2], argv[3]);
  }
  const char *file;
  if (parse_args(argc, argv, &file) < 0) {
    usage();
    return 64;
  }
  engine_config.mem_limit = g_cfg.mem_limit;
  program prog = {0};
  int rc = load_program(file, &prog);
  if (rc) {
    free(prog.data);
    return rc;
  }
  if (ports_setup() < 0 || flash_open() < 0 || devices_connect() < 0) {
    ports_shutdown();
    flash_close();
    devices_disconnect();
    free(prog.data);
    return 1;
  }
  int status = 0;
  for (int boot = 1;; boot++) {
    if (boot > g_cfg.max_boots) {
      port_log(3, "more than %d boots: boot loop", g_cfg.max_boots);
      status = 4;
      break;
    }
    int stop = boot_once(&prog, boot);
    if (stop == STOP_RESET || (stop == STOP_CUT && g_cfg.cut_reboot)) continue;
    status = stop == STOP_EXIT ? loop_exit_code() : stop == STOP_IDLE ? 0 : stop == STOP_CUT ? 3 : 1;
    break;
  }
  devices_disconnect();
  flash_close();
  ports_shutdown();
  free(prog.data);
  return status;
}
