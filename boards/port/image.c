/* Image header: write, parse, check against the running engine (see image.h). */
#include <stdio.h>
#include <string.h>

#include "image.h"

uint32_t image_crc32(const uint8_t *p, size_t n) {
  uint32_t c = 0xffffffffu;
  for (size_t i = 0; i < n; i++) {
    c ^= p[i];
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
  }
  return ~c;
}

uint32_t image_host_features(void) {
  uint32_t f = 0;
  if (sizeof(void *) == 8) f |= IMAGE_FEATURE_PTR64;
  const uint16_t one = 1;
  if (*(const uint8_t *)&one == 0) f |= IMAGE_FEATURE_BIG_ENDIAN;
  return f;
}

static void put16(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *p, uint32_t v) {
  put16(p, v);
  put16(p + 2, v >> 16);
}
static uint32_t get16(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}
static uint32_t get32(const uint8_t *p) {
  return get16(p) | get16(p + 2) << 16;
}

void image_write_header(uint8_t *out, uint32_t kind, const char *engine, uint32_t features, const char *board,
                        const uint8_t *payload, size_t len) {
  memset(out, 0, IMAGE_HEADER_SIZE);
  memcpy(out, IMAGE_MAGIC, 8);
  put16(out + 8, IMAGE_HEADER_SIZE);
  put16(out + 10, IMAGE_HEADER_VERSION);
  put32(out + 12, kind);
  strncpy((char *)out + 16, engine, 24);
  put32(out + 40, features);
  put32(out + 44, (uint32_t)len);
  put32(out + 48, image_crc32(payload, len));
  strncpy((char *)out + 52, board ? board : "", 8);
  put32(out + 60, image_crc32(out, 60));
}

const char *image_kind_name(uint32_t kind) {
  switch (kind) {
  case IMAGE_KIND_SOURCE: return "script source";
  case IMAGE_KIND_QJS_BYTECODE: return "QuickJS bytecode";
  case IMAGE_KIND_JERRY_SNAPSHOT: return "JerryScript snapshot";
  default: return "unknown payload";
  }
}

int image_parse(const uint8_t *d, size_t size, image_header *h, const uint8_t **payload, char *err, size_t errcap) {
  if (size < IMAGE_HEADER_SIZE || memcmp(d, IMAGE_MAGIC, 8) != 0) {
    snprintf(err, errcap, "not a firmware image (no %s header)", IMAGE_MAGIC);
    return -1;
  }
  if (get32(d + 60) != image_crc32(d, 60)) {
    snprintf(err, errcap, "image header is corrupt (header CRC mismatch)");
    return -1;
  }
  if (get16(d + 10) != IMAGE_HEADER_VERSION || get16(d + 8) != IMAGE_HEADER_SIZE) {
    snprintf(err, errcap, "image header version %u is not %u: rebuild the image with this tree's build", get16(d + 10),
             IMAGE_HEADER_VERSION);
    return -1;
  }
  memset(h, 0, sizeof *h);
  h->kind = get32(d + 12);
  memcpy(h->engine, d + 16, 24);
  h->features = get32(d + 40);
  h->payload_len = get32(d + 44);
  h->payload_crc = get32(d + 48);
  memcpy(h->board, d + 52, 8);
  if ((size_t)h->payload_len != size - IMAGE_HEADER_SIZE) {
    snprintf(err, errcap, "image is truncated: payload %zu bytes, header says %u", size - IMAGE_HEADER_SIZE, h->payload_len);
    return -1;
  }
  if (image_crc32(d + IMAGE_HEADER_SIZE, h->payload_len) != h->payload_crc) {
    snprintf(err, errcap, "image payload is corrupt (CRC mismatch)");
    return -1;
  }
  *payload = d + IMAGE_HEADER_SIZE;
  return 0;
}

int image_check_engine(const image_header *h, uint32_t kind, const char *engine, uint32_t features, char *err, size_t errcap) {
  if (h->kind == IMAGE_KIND_SOURCE) return 0;
  if (h->kind != kind || strcmp(h->engine, engine) != 0 || h->features != features) {
    snprintf(err, errcap,
             "image mismatch: it holds %s for %s (features 0x%x), this runtime runs %s for %s (features 0x%x); "
             "rebuild the image for this runtime (npm run port -- --board <board>)",
             image_kind_name(h->kind), h->engine, h->features, image_kind_name(kind), engine, features);
    return -1;
  }
  return 0;
}
