// tf.data's shuffle buffer over row indices: the order in which Dataset.shuffle(buffer_size) hands out the
// elements of its input, so that a batch can gather its rows in one go (python/tapeflow/data/dataset_ops.py).
#pragma once
#include <cstdint>
#include <vector>

namespace tapeflow {
namespace data {

// TensorFlow's buffer semantics: the buffer takes the first `buffer_size` inputs; each output is a uniformly
// drawn element of the buffer, whose place the next input takes; when the input ends, the rest leave in random
// order. Draws come from a counter-based generator seeded with `seed`: the same order on every machine.
std::vector<int64_t> buffer_shuffle(const int64_t* input, int64_t n, int64_t buffer_size, uint64_t seed);

}  // namespace data
}  // namespace tapeflow
