#ifndef PETREL_SHA256_H
#define PETREL_SHA256_H
#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU has the SHA extensions (and the SSSE3/SSE4.1 they are used with), else 0.
int petrel_sha256_ni_available(void);

/// SHA-256's compression function over `blocks` 64-byte blocks at `data`, into `state`
/// (h0..h7), with the SHA extensions: only when petrel_sha256_ni_available() says so.
/// PetrelRuntime's SHA256 falls back to its portable Swift rounds otherwise.
void petrel_sha256_ni_compress(uint32_t state[8], const unsigned char *data, size_t blocks);
#endif
