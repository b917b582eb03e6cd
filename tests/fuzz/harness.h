/* Shared set-up for the fuzz targets: a fixed repository key. */
#ifndef CAIRN_FUZZ_HARNESS_H
#define CAIRN_FUZZ_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "cairn/crypto.h"

/* Keys derived from the master key 00..1f, made once (never freed). */
const struct cairn_keys *fuzz_keys(void);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
