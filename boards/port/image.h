/*
 * The firmware image: a 64-byte header the build stamps, then the payload (the script's source, or
 * the engine's precompiled form: QuickJS bytecode, a JerryScript snapshot). Precompiled payloads run
 * only on the exact engine and features that made them, so the loader compares before it executes
 * and refuses a mismatch with a message instead of crashing inside the engine.
 *
 *   off size field
 *   0   8    magic "CUPIMG1\0"
 *   8   2    header size (64), LE
 *   10  2    header version (1)
 *   12  4    payload kind (IMAGE_KIND_*)
 *   16  24   engine id, NUL-padded ("quickjs-2021-03-27", "jerryscript-3.0"; "any" for source)
 *   40  4    feature bits (IMAGE_FEATURE_*, engine-specific bits from bit 16)
 *   44  4    payload length
 *   48  4    payload CRC-32 (IEEE, as zlib)
 *   52  8    board name, NUL-padded
 *   60  4    header CRC-32 over bytes 0..59
 */
#ifndef PORT_IMAGE_H
#define PORT_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#define IMAGE_MAGIC "CUPIMG1"
#define IMAGE_HEADER_SIZE 64
#define IMAGE_HEADER_VERSION 1

#define IMAGE_KIND_SOURCE 1
#define IMAGE_KIND_QJS_BYTECODE 2
#define IMAGE_KIND_JERRY_SNAPSHOT 3

#define IMAGE_FEATURE_PTR64 (1u << 0)      /* made by a 64-bit engine build */
#define IMAGE_FEATURE_BIG_ENDIAN (1u << 1) /* made on a big-endian machine */
#define IMAGE_FEATURE_BIGINT (1u << 2)     /* the engine has BigInt */

typedef struct image_header {
  uint32_t kind;
  char engine[25];
  uint32_t features;
  uint32_t payload_len;
  uint32_t payload_crc;
  char board[9];
} image_header;

uint32_t image_crc32(const uint8_t *p, size_t n);
uint32_t image_host_features(void);
/* Serializes a header for `payload` into out[IMAGE_HEADER_SIZE]. */
void image_write_header(uint8_t *out, uint32_t kind, const char *engine, uint32_t features, const char *board,
                        const uint8_t *payload, size_t len);
/* Parses and checks a whole image (header and payload CRC); 0 or -1 with a message. */
int image_parse(const uint8_t *data, size_t size, image_header *h, const uint8_t **payload, char *err, size_t errcap);
/* Whether this engine may run it: 0, or -1 with the clear message of what differs. */
int image_check_engine(const image_header *h, uint32_t kind, const char *engine, uint32_t features, char *err, size_t errcap);
const char *image_kind_name(uint32_t kind);

#endif
