#include "tapeflow/data/shuffle.h"

#include <algorithm>

namespace tapeflow {
namespace data {
namespace {

uint64_t splitmix(uint64_t& state) {
  uint64_t x = (state += 0x9E3779B97F4A7C15ull);
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// A uniform draw from [0, k) (k >= 1), by rejection so that no value is favoured.
uint64_t below(uint64_t& state, uint64_t k) {
  const uint64_t limit = ~0ull - (~0ull % k);
  uint64_t x;
  do x = splitmix(state); while (x >= limit);
  return x % k;
}

}  // namespace

std::vector<int64_t> buffer_shuffle(const int64_t* input, int64_t n, int64_t buffer_size, uint64_t seed) {
  std::vector<int64_t> out;
  out.reserve(static_cast<size_t>(std::max<int64_t>(n, 0)));
  const int64_t filled = std::min(std::max<int64_t>(buffer_size, 1), n);
  std::vector<int64_t> buffer(input, input + std::max<int64_t>(filled, 0));
  uint64_t state = seed;
  for (int64_t next = filled; next < n; ++next) {
    const size_t k = static_cast<size_t>(below(state, buffer.size()));
    out.push_back(buffer[k]);
    buffer[k] = input[next];
  }
  while (!buffer.empty()) {
    const size_t k = static_cast<size_t>(below(state, buffer.size()));
    out.push_back(buffer[k]);
    buffer[k] = buffer.back();
    buffer.pop_back();
  }
  return out;
}

}  // namespace data
}  // namespace tapeflow
