// Tensor creation: constants, ranges, identity matrices and random fills.
#include <cmath>
#include <string>

#include "tapeflow/ops/common.h"

namespace tapeflow {
namespace ops {

Tensor full(const Shape& shape, double value, DType dtype) {
  Tensor t = Tensor::empty(shape, dtype);
  TF_KERNEL(kern::fill_scalar(t, value));
  return t;
}
Tensor zeros(const Shape& shape, DType dtype) { return Tensor::zeros(shape, dtype); }
Tensor ones(const Shape& shape, DType dtype) { return full(shape, 1.0, dtype); }
Tensor zeros_like(const Tensor& x) { return Tensor::zeros(x.shape(), x.dtype()); }
Tensor ones_like(const Tensor& x) { return full(x.shape(), 1.0, x.dtype()); }

Tensor range(double start, double limit, double delta, DType dtype) {
  if (delta == 0) throw InvalidArgument("[range] Requires delta != 0");
  if ((delta > 0 && start > limit) || (delta < 0 && start < limit))
    throw InvalidArgument("[range] Requires start <= limit when delta > 0 (or start >= limit when delta < 0): start=" +
                          std::to_string(start) + ", limit=" + std::to_string(limit));
  const double n = std::ceil(std::fabs((limit - start) / delta));
  if (!(n < 9e15)) throw InvalidArgument("[range] the range has too many elements");
  Tensor t = Tensor::empty({static_cast<int64_t>(n)}, dtype);
  TF_KERNEL(kern::range_fill(t, start, delta));
  return t;
}

Tensor linspace(double start, double stop, int64_t num, DType dtype) {
  if (num <= 0) throw InvalidArgument("[linspace] Requires num > 0: " + std::to_string(num));
  check_floating("linspace", Tensor::empty({}, dtype));
  Tensor t = Tensor::empty({num}, dtype);
  const double delta = num > 1 ? (stop - start) / static_cast<double>(num - 1) : 0.0;
  const Tensor last = t.as_strided({}, {}, num - 1);
  TF_KERNEL(kern::range_fill(t, start, delta); if (num > 1) kern::fill_scalar(last, stop));  // the end point exactly
  return t;
}

Tensor eye(int64_t rows, int64_t cols, DType dtype) {
  if (rows < 0 || cols < 0) throw InvalidArgument("[eye] num_rows and num_columns must be non-negative");
  Tensor t = Tensor::zeros({rows, cols}, dtype);
  const Tensor diag = t.as_strided({std::min(rows, cols)}, {cols + 1}, 0);
  TF_KERNEL(kern::fill_scalar(diag, 1.0));
  return t;
}

Tensor random_uniform(const Shape& shape, double minval, double maxval, DType dtype, std::function<uint64_t()> key) {
  if (dtype == DType::Bool) throw TypeError("[random_uniform] bool is not a supported dtype");
  if (is_integer(dtype) && !(maxval > minval))
    throw InvalidArgument("[random_uniform] Need minval < maxval for integer dtypes: " + std::to_string(minval) +
                          " >= " + std::to_string(maxval));
  Tensor t = Tensor::empty(shape, dtype);
  TF_KERNEL(kern::random_uniform(t, key(), minval, maxval));
  return t;
}

Tensor random_normal(const Shape& shape, double mean, double stddev, DType dtype, std::function<uint64_t()> key,
                     bool truncated) {
  check_floating(truncated ? "truncated_normal" : "random_normal", Tensor::empty({}, dtype));
  Tensor t = Tensor::empty(shape, dtype);
  TF_KERNEL(kern::random_normal(t, key(), mean, stddev, truncated));
  return t;
}

}  // namespace ops
}  // namespace tapeflow
