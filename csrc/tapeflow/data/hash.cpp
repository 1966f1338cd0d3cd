// See hash.h. Byte reads are little-endian (memcpy), as FarmHash's fingerprints are defined.
#include "tapeflow/data/hash.h"

#include <array>
#include <cstring>
#include <utility>

namespace tapeflow {
namespace data {
namespace {

constexpr uint64_t k0 = 0xc3a5c85c97cb3127ULL, k1 = 0xb492b66fbe98f273ULL, k2 = 0x9ae16a3b2f90404fULL;

inline uint64_t load64(const char* p) { uint64_t v; std::memcpy(&v, p, 8); return v; }
inline uint32_t load32(const char* p) { uint32_t v; std::memcpy(&v, p, 4); return v; }
inline uint64_t rotr(uint64_t v, int s) { return s == 0 ? v : (v >> s) | (v << (64 - s)); }
inline uint64_t shift_mix(uint64_t v) { return v ^ (v >> 47); }

inline uint64_t mix16(uint64_t u, uint64_t v, uint64_t mul) {
  uint64_t a = (u ^ v) * mul;
  a ^= a >> 47;
  uint64_t b = (v ^ a) * mul;
  b ^= b >> 47;
  return b * mul;
}

uint64_t len_0_to_16(const char* s, size_t n) {
  if (n >= 8) {
    const uint64_t mul = k2 + n * 2, a = load64(s) + k2, b = load64(s + n - 8);
    const uint64_t c = rotr(b, 37) * mul + a, d = (rotr(a, 25) + b) * mul;
    return mix16(c, d, mul);
  }
  if (n >= 4) {
    const uint64_t mul = k2 + n * 2, a = load32(s);
    return mix16(n + (a << 3), load32(s + n - 4), mul);
  }
  if (n > 0) {
    const uint8_t a = static_cast<uint8_t>(s[0]), b = static_cast<uint8_t>(s[n >> 1]),
                  c = static_cast<uint8_t>(s[n - 1]);
    const uint32_t y = static_cast<uint32_t>(a) + (static_cast<uint32_t>(b) << 8);
    const uint32_t z = static_cast<uint32_t>(n) + (static_cast<uint32_t>(c) << 2);
    return shift_mix(y * k2 ^ z * k0) * k2;
  }
  return k2;
}

uint64_t len_17_to_32(const char* s, size_t n) {
  const uint64_t mul = k2 + n * 2, a = load64(s) * k1, b = load64(s + 8);
  const uint64_t c = load64(s + n - 8) * mul, d = load64(s + n - 16) * k2;
  return mix16(rotr(a + b, 43) + rotr(c, 30) + d, a + rotr(b + k2, 18) + c, mul);
}

uint64_t len_33_to_64(const char* s, size_t n) {
  const uint64_t mul = k2 + n * 2, a = load64(s) * k2, b = load64(s + 8);
  const uint64_t c = load64(s + n - 8) * mul, d = load64(s + n - 16) * k2;
  const uint64_t y = rotr(a + b, 43) + rotr(c, 30) + d, z = mix16(y, a + rotr(b + k2, 18) + c, mul);
  const uint64_t e = load64(s + 16) * mul, f = load64(s + 24);
  const uint64_t g = (y + load64(s + n - 32)) * mul, h = (z + load64(s + n - 24)) * mul;
  return mix16(rotr(e + f, 43) + rotr(g, 30) + h, e + rotr(f + a, 18) + g, mul);
}

// 32 bytes at s mixed into the seeds (a, b).
std::pair<uint64_t, uint64_t> weak32(const char* s, uint64_t a, uint64_t b) {
  const uint64_t w = load64(s), x = load64(s + 8), y = load64(s + 16), z = load64(s + 24);
  a += w;
  b = rotr(b + a + z, 21);
  const uint64_t c = a;
  a += x;
  a += y;
  b += rotr(a, 44);
  return {a + z, b + c};
}

}  // namespace

uint64_t fingerprint64(const char* s, size_t n) {
  if (n <= 16) return len_0_to_16(s, n);
  if (n <= 32) return len_17_to_32(s, n);
  if (n <= 64) return len_33_to_64(s, n);
  const uint64_t seed = 81;
  uint64_t x = seed, y = seed * k1 + 113, z = shift_mix(y * k2 + 113) * k2;
  std::pair<uint64_t, uint64_t> v{0, 0}, w{0, 0};
  x = x * k2 + load64(s);
  const char* end = s + ((n - 1) / 64) * 64;
  const char* last64 = end + ((n - 1) & 63) - 63;
  do {
    x = rotr(x + y + v.first + load64(s + 8), 37) * k1;
    y = rotr(y + v.second + load64(s + 48), 42) * k1;
    x ^= w.second;
    y += v.first + load64(s + 40);
    z = rotr(z + w.first, 33) * k1;
    v = weak32(s, v.second * k1, x + w.first);
    w = weak32(s + 32, z + w.second, y + load64(s + 16));
    std::swap(z, x);
    s += 64;
  } while (s != end);
  const uint64_t mul = k1 + ((z & 0xff) << 1);
  s = last64;
  w.first += ((n - 1) & 63);
  v.first += w.first;
  w.first += v.first;
  x = rotr(x + y + v.first + load64(s + 8), 37) * mul;
  y = rotr(y + v.second + load64(s + 48), 42) * mul;
  x ^= w.second * 9;
  y += v.first * 9 + load64(s + 40);
  z = rotr(z + w.first, 33) * mul;
  v = weak32(s, v.second * mul, x + w.first);
  w = weak32(s + 32, z + w.second, y + load64(s + 16));
  std::swap(z, x);
  return mix16(mix16(v.first, w.first, mul) + shift_mix(y) * k0 + z, mix16(v.second, w.second, mul) + x, mul);
}

uint64_t siphash24(uint64_t key0, uint64_t key1, const char* s, size_t n) {
  uint64_t v0 = 0x736f6d6570736575ULL ^ key0, v1 = 0x646f72616e646f6dULL ^ key1;
  uint64_t v2 = 0x6c7967656e657261ULL ^ key0, v3 = 0x7465646279746573ULL ^ key1;
  auto rotl = [](uint64_t v, int b) { return (v << b) | (v >> (64 - b)); };
  auto round = [&] {
    v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);
    v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;
    v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;
    v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);
  };
  const size_t whole = n / 8 * 8;
  for (size_t i = 0; i < whole; i += 8) {
    const uint64_t m = load64(s + i);
    v3 ^= m; round(); round(); v0 ^= m;
  }
  uint64_t last = static_cast<uint64_t>(n & 0xff) << 56;
  for (size_t i = whole; i < n; ++i) last |= static_cast<uint64_t>(static_cast<uint8_t>(s[i])) << (8 * (i - whole));
  v3 ^= last; round(); round(); v0 ^= last;
  v2 ^= 0xff;
  round(); round(); round(); round();
  return v0 ^ v1 ^ v2 ^ v3;
}

uint32_t crc32c(const char* s, size_t n, uint32_t crc) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  crc = ~crc;
  for (size_t i = 0; i < n; ++i) crc = table[(crc ^ static_cast<uint8_t>(s[i])) & 0xff] ^ (crc >> 8);
  return ~crc;
}

}  // namespace data
}  // namespace tapeflow
