// Hashes and checksums over bytes that must equal TensorFlow's bit for bit: FarmHash's Fingerprint64 (string
// hash buckets, tf.fingerprint, the Hashing layer), SipHash-2-4 (keyed "strong" hash buckets) and CRC-32C with
// TFRecord's masking (record framing). Written from the published algorithms.
#pragma once
#include <cstddef>
#include <cstdint>

namespace tapeflow {
namespace data {

uint64_t fingerprint64(const char* s, size_t n);                      // farmhash::Fingerprint64
uint64_t siphash24(uint64_t k0, uint64_t k1, const char* s, size_t n);  // SipHash-2-4, 128-bit key (k0, k1)
uint32_t crc32c(const char* s, size_t n, uint32_t crc = 0);            // Castagnoli, continuing from `crc`
inline uint32_t crc32c_masked(const char* s, size_t n) {               // TFRecord's masked CRC
  const uint32_t c = crc32c(s, n);
  return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

}  // namespace data
}  // namespace tapeflow
