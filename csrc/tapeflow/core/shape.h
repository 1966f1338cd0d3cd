// Shape helpers: element counts with overflow checks, contiguous strides,
// broadcasting (NumPy rules), axis normalisation and shape formatting.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "tapeflow/core/error.h"

namespace tapeflow {

using Shape = std::vector<int64_t>;

std::string shape_str(const Shape& s);              // "(2, 3)"
int64_t checked_numel(const Shape& s, const char* op);  // throws on negative dims / overflow
Shape contiguous_strides(const Shape& s);           // in elements
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);
int64_t normalize_axis(int64_t axis, int64_t ndim, const char* op);

}  // namespace tapeflow
