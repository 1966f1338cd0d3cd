// tf.data's C++ pieces (csrc/tapeflow/data/).
#include "tapeflow/bindings/bindings.h"
#include "tapeflow/bindings/convert.h"
#include "tapeflow/data/hash.h"
#include "tapeflow/data/shuffle.h"

namespace tapeflow {

void init_data(py::module_& m) {
  // The order Dataset.shuffle(buffer_size) gives the int64 vector `order` (a pass's row indices).
  m.def("_shuffle_order", [](const Tensor& order, int64_t buffer_size, uint64_t seed) {
    if (order.dtype() != DType::Int64 || order.ndim() != 1)
      throw ValueError("[shuffle] expects an int64 vector of row indices, got " + std::string(dtype_name(order.dtype())) +
                       " of shape " + shape_str(order.shape()));
    if (buffer_size <= 0) throw ValueError("[shuffle] buffer_size must be positive, got " + std::to_string(buffer_size));
    const Tensor c = order.to(Device{}).contiguous();
    std::vector<int64_t> out;
    {
      py::gil_scoped_release release;
      out = data::buffer_shuffle(c.numel() ? c.data<int64_t>() : nullptr, c.numel(), buffer_size, seed);
    }
    Tensor result = Tensor::empty({static_cast<int64_t>(out.size())}, DType::Int64, Device{});
    std::copy(out.begin(), out.end(), result.data<int64_t>());
    return on_current_device(result);
  }, py::arg("order"), py::arg("buffer_size"), py::arg("seed"));

  // Hash buckets of byte strings (tf.strings.to_hash_bucket_fast / _strong): an int64 vector, one bucket per
  // string, FarmHash Fingerprint64 (no key) or SipHash-2-4 with `key` (two uint64s) modulo num_buckets.
  m.def("string_hash_buckets", [](const std::vector<std::string>& values, int64_t num_buckets,
                                  const std::vector<uint64_t>& key) {
    if (num_buckets < 1) throw ValueError("[to_hash_bucket] num_buckets must be >= 1, got " + std::to_string(num_buckets));
    if (!key.empty() && key.size() != 2) throw ValueError("[to_hash_bucket_strong] the key must have 2 elements");
    Tensor out = Tensor::empty({static_cast<int64_t>(values.size())}, DType::Int64, Device{});
    int64_t* o = out.numel() ? out.data<int64_t>() : nullptr;
    {
      py::gil_scoped_release release;
      const uint64_t buckets = static_cast<uint64_t>(num_buckets);
      for (size_t i = 0; i < values.size(); ++i) {
        const std::string& v = values[i];
        const uint64_t h = key.empty() ? data::fingerprint64(v.data(), v.size())
                                       : data::siphash24(key[0], key[1], v.data(), v.size());
        o[i] = static_cast<int64_t>(h % buckets);
      }
    }
    return out;
  }, py::arg("values"), py::arg("num_buckets"), py::arg("key"));

  // tf.fingerprint's "farmhash64": each string's Fingerprint64 as 8 little-endian bytes (a uint8 [n, 8] tensor).
  m.def("fingerprint64", [](const std::vector<std::string>& values) {
    Tensor out = Tensor::empty({static_cast<int64_t>(values.size()), 8}, DType::UInt8, Device{});
    uint8_t* o = out.numel() ? out.data<uint8_t>() : nullptr;
    for (size_t i = 0; i < values.size(); ++i) {
      uint64_t h = data::fingerprint64(values[i].data(), values[i].size());
      for (int b = 0; b < 8; ++b, h >>= 8) o[i * 8 + b] = static_cast<uint8_t>(h & 0xff);
    }
    return out;
  }, py::arg("values"));

  // CRC-32C of bytes, continuing from `crc`; masked=True gives TFRecord's masked form.
  m.def("crc32c", [](const py::bytes& data, uint32_t crc, bool masked) {
    const std::string_view v = data;
    if (masked) return data::crc32c_masked(v.data(), v.size());
    return data::crc32c(v.data(), v.size(), crc);
  }, py::arg("data"), py::arg("crc") = 0, py::arg("masked") = false);
}

}  // namespace tapeflow
