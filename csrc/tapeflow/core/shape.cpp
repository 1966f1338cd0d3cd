#include "tapeflow/core/shape.h"

#include <algorithm>
#include <limits>

namespace tapeflow {

std::string shape_str(const Shape& s) {
  std::string r = "(";
  for (size_t i = 0; i < s.size(); ++i) {
    if (i) r += ", ";
    r += std::to_string(s[i]);
  }
  if (s.size() == 1) r += ",";
  return r + ")";
}

int64_t checked_numel(const Shape& s, const char* op) {
  int64_t n = 1;
  for (int64_t d : s) {
    if (d < 0) throw ValueError(std::string("[") + op + "] negative dimension in shape " + shape_str(s));
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d)
      throw ValueError(std::string("[") + op + "] shape " + shape_str(s) + " has too many elements");
    n *= d;
  }
  return n;
}

Shape contiguous_strides(const Shape& s) {
  Shape st(s.size());
  int64_t acc = 1;
  for (size_t i = s.size(); i-- > 0;) {
    st[i] = acc;
    // past int64 only for an empty tensor (a 0 elsewhere in its shape), whose strides address nothing
    if (__builtin_mul_overflow(acc, std::max<int64_t>(s[i], 1), &acc)) acc = 0;
  }
  return st;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (da != db && da != 1 && db != 1)
      throw InvalidArgument(std::string("[") + op + "] Incompatible shapes: " + shape_str(a) + " vs. " + shape_str(b));
    out[i] = da == 1 ? db : da;
  }
  return out;
}

int64_t normalize_axis(int64_t axis, int64_t ndim, const char* op) {
  if (axis < -ndim || axis >= ndim)
    throw InvalidArgument(std::string("[") + op + "] axis " + std::to_string(axis) + " is out of range for a tensor of rank " +
                          std::to_string(ndim) + " (expected in [" + std::to_string(-ndim) + ", " + std::to_string(ndim) + "))");
  return axis < 0 ? axis + ndim : axis;
}

}  // namespace tapeflow
