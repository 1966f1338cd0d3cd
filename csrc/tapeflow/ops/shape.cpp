// Views (reshape, transpose, broadcast_to, expand_dims, squeeze, reverse,
// strided slices) share storage with their input; concat, pad, gather and
// scatter build new tensors. Each records one gradient rule.
#include <algorithm>
#include <numeric>
#include <string>

#include "tapeflow/ops/common.h"

namespace tapeflow {
namespace ops {
namespace {

Tensor view_of(const Tensor& x, const Shape& shape) {  // reshape of a contiguous tensor
  return x.as_strided(shape, contiguous_strides(shape), x.offset());
}

Tensor reshape_grad_rule(const char* name, const Tensor& x, const Tensor& out) {
  TF_RECORD(name, {x}, {out}, [](const Tensors& in, const Tensors&, const Tensors& g) {
    return Tensors{reshape(g[0], in[0].shape())};
  });
  return out;
}

// Slice `g` back into a zero tensor of `shape` (the gradient of strided_slice).
Tensor strided_slice_grad(const Tensor& g, const Shape& shape, const std::vector<SliceSpec>& specs) {
  Tensor out = Tensor::zeros(shape, g.dtype());
  const Tensor dst = slice_view(out, specs);
  TF_KERNEL(kern::copy(g, dst));
  TF_RECORD("strided_slice_grad", {g}, {out}, [specs](const Tensors&, const Tensors&, const Tensors& gg) {
    return Tensors{strided_slice(gg[0], specs)};
  });
  return out;
}

Tensor gather_grad(const Tensor& g, const Tensor& indices, const Shape& params_shape, int64_t axis, int64_t batch_dims) {
  int64_t batch = 1, outer = 1, inner = 1;
  for (int64_t i = 0; i < batch_dims; ++i) batch *= params_shape[i];
  for (int64_t i = batch_dims; i < axis; ++i) outer *= params_shape[i];
  for (size_t i = axis + 1; i < params_shape.size(); ++i) inner *= params_shape[i];
  Tensor out = Tensor::zeros(params_shape, g.dtype());
  const Tensor gc = g.contiguous(), ic = indices.contiguous();
  TF_KERNEL(kern::gather_grad(gc, ic, batch, outer, inner, out));
  TF_RECORD("gather_grad", {g}, {out}, [indices, axis, batch_dims](const Tensors&, const Tensors&, const Tensors& gg) {
    return Tensors{gather(gg[0], indices, axis, batch_dims)};
  });
  return out;
}

void check_index_dtype(const char* op, const Tensor& idx) {
  if (idx.dtype() != DType::Int32 && idx.dtype() != DType::Int64)
    throw TypeError(std::string("[") + op + "] indices must be int32 or int64, got " + dtype_name(idx.dtype()));
}

}  // namespace

Tensor reshape(const Tensor& x, const Shape& shape_in) {
  Shape shape = shape_in;
  int64_t known = 1, infer = -1;
  bool too_many = false;  // the known sizes multiply past int64 (and none is 0): no tensor has that many values
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (infer >= 0) throw InvalidArgument("[reshape] only one input size may be -1, not both " + std::to_string(infer) + " and " + std::to_string(i));
      infer = static_cast<int64_t>(i);
    } else if (shape[i] < 0) {
      throw InvalidArgument("[reshape] size " + std::to_string(i) + " must be non-negative, not " + std::to_string(shape[i]));
    } else if (__builtin_mul_overflow(known, shape[i], &known)) {
      too_many = true;
    }
  }
  if (too_many && std::find(shape.begin(), shape.end(), 0) != shape.end()) known = 0;
  if (infer >= 0) {
    if (known == 0 || too_many || x.numel() % known != 0)
      throw InvalidArgument("[reshape] Input to reshape is a tensor with " + std::to_string(x.numel()) +
                            " values, but the requested shape " + shape_str(shape_in) + " cannot hold them");
    shape[infer] = x.numel() / known;
  } else if (checked_numel(shape, "reshape") != x.numel()) {
    throw InvalidArgument("[reshape] Input to reshape is a tensor with " + std::to_string(x.numel()) +
                          " values, but the requested shape " + shape_str(shape) + " has " +
                          std::to_string(checked_numel(shape, "reshape")));
  }
  if (shape == x.shape()) return reshape_grad_rule("reshape", x, x.as_strided(x.shape(), x.strides(), x.offset()));
  Tensor base = x.is_contiguous() ? x : contiguous_copy(x);
  return reshape_grad_rule("reshape", x, view_of(base, shape));
}

Tensor transpose(const Tensor& x, const std::vector<int64_t>& perm_in) {
  std::vector<int64_t> perm = perm_in;
  if (perm.empty()) {
    perm.resize(static_cast<size_t>(x.ndim()));
    std::iota(perm.rbegin(), perm.rend(), 0);
  }
  if (static_cast<int64_t>(perm.size()) != x.ndim())
    throw InvalidArgument("[transpose] perm has " + std::to_string(perm.size()) + " entries for a tensor of rank " +
                          std::to_string(x.ndim()));
  std::vector<bool> seen(perm.size(), false);
  Shape shape, strides;
  for (int64_t& p : perm) {
    p = normalize_axis(p, x.ndim(), "transpose");
    if (seen[p]) throw InvalidArgument("[transpose] perm is not a permutation: axis " + std::to_string(p) + " repeats");
    seen[p] = true;
    shape.push_back(x.dim(p));
    strides.push_back(x.strides()[p]);
  }
  Tensor out = x.as_strided(shape, strides, x.offset());
  TF_RECORD("transpose", {x}, {out}, [perm](const Tensors&, const Tensors&, const Tensors& g) {
    std::vector<int64_t> inv(perm.size());
    for (size_t i = 0; i < perm.size(); ++i) inv[perm[i]] = static_cast<int64_t>(i);
    return Tensors{transpose(g[0], inv)};
  });
  return out;
}

Tensor broadcast_to(const Tensor& x, const Shape& shape) {
  if (static_cast<int64_t>(shape.size()) < x.ndim())
    throw InvalidArgument("[broadcast_to] cannot broadcast a tensor of shape " + shape_str(x.shape()) + " to the lower-rank shape " + shape_str(shape));
  const size_t lead = shape.size() - x.shape().size();
  for (int64_t i = 0; i < x.ndim(); ++i)
    if (x.dim(i) != 1 && x.dim(i) != shape[lead + i])
      throw InvalidArgument("[broadcast_to] Incompatible shapes: " + shape_str(x.shape()) + " vs. " + shape_str(shape));
  checked_numel(shape, "broadcast_to");
  Tensor out = broadcast_view(x, shape);
  if (out.id() == x.id()) out = x.as_strided(x.shape(), x.strides(), x.offset());
  TF_RECORD("broadcast_to", {x}, {out}, [](const Tensors&, const Tensors&, const Tensors& g) { return Tensors{g[0]}; });
  return out;
}

Tensor expand_dims(const Tensor& x, int64_t axis) {
  axis = normalize_axis(axis, x.ndim() + 1, "expand_dims");
  Shape shape = x.shape(), strides = x.strides();
  int64_t st = axis < x.ndim() ? x.strides()[axis] * x.dim(axis) : 1;
  shape.insert(shape.begin() + axis, 1);
  strides.insert(strides.begin() + axis, st);
  return reshape_grad_rule("expand_dims", x, x.as_strided(shape, strides, x.offset()));
}

Tensor squeeze(const Tensor& x, const std::vector<int64_t>& axes) {
  std::vector<bool> drop(static_cast<size_t>(x.ndim()), axes.empty());
  for (int64_t a : axes) {
    int64_t n = normalize_axis(a, x.ndim(), "squeeze");
    if (x.dim(n) != 1)
      throw InvalidArgument("[squeeze] Can not squeeze dim[" + std::to_string(n) + "], expected a dimension of 1, got " +
                            std::to_string(x.dim(n)));
    drop[n] = true;
  }
  Shape shape, strides;
  for (int64_t i = 0; i < x.ndim(); ++i)
    if (!(drop[i] && x.dim(i) == 1)) { shape.push_back(x.dim(i)); strides.push_back(x.strides()[i]); }
  return reshape_grad_rule("squeeze", x, x.as_strided(shape, strides, x.offset()));
}

Tensor reverse(const Tensor& x, const std::vector<int64_t>& axes) {
  Shape strides = x.strides();
  int64_t offset = x.offset();
  std::vector<bool> seen(static_cast<size_t>(x.ndim()), false);
  for (int64_t a : axes) {
    int64_t n = normalize_axis(a, x.ndim(), "reverse");
    if (seen[n]) throw InvalidArgument("[reverse] axis " + std::to_string(n) + " is given twice");
    seen[n] = true;
    if (x.dim(n) > 0) offset += (x.dim(n) - 1) * strides[n];
    strides[n] = -strides[n];
  }
  Tensor out = x.as_strided(x.shape(), strides, offset);
  TF_RECORD("reverse", {x}, {out}, [axes](const Tensors&, const Tensors&, const Tensors& g) {
    return Tensors{reverse(g[0], axes)};
  });
  return out;
}

Tensor slice_view(const Tensor& x, const std::vector<SliceSpec>& specs_in) {
  int64_t consumed = 0, ellipses = 0;
  for (const SliceSpec& s : specs_in) {
    if (s.kind == SliceSpec::Index || s.kind == SliceSpec::Range) ++consumed;
    if (s.kind == SliceSpec::Ellipsis) ++ellipses;
  }
  if (ellipses > 1) throw IndexError("[strided_slice] an index can only have a single ellipsis ('...')");
  if (consumed > x.ndim())
    throw IndexError("[strided_slice] too many indices for a tensor of rank " + std::to_string(x.ndim()) + ": " +
                     std::to_string(consumed) + " were given");
  std::vector<SliceSpec> specs;
  SliceSpec all{SliceSpec::Range};
  for (const SliceSpec& s : specs_in) {
    if (s.kind == SliceSpec::Ellipsis) specs.insert(specs.end(), static_cast<size_t>(x.ndim() - consumed), all);
    else specs.push_back(s);
  }
  if (!ellipses) specs.insert(specs.end(), static_cast<size_t>(x.ndim() - consumed), all);

  Shape shape, strides;
  int64_t offset = x.offset(), d = 0;
  for (const SliceSpec& s : specs) {
    if (s.kind == SliceSpec::NewAxis) { shape.push_back(1); strides.push_back(0); continue; }
    const int64_t n = x.dim(d), st = x.strides()[d];
    if (s.kind == SliceSpec::Index) {
      int64_t i = s.start < 0 ? s.start + n : s.start;
      if (i < 0 || i >= n)
        throw IndexError("[strided_slice] index " + std::to_string(s.start) + " is out of bounds for axis " +
                         std::to_string(d) + " with size " + std::to_string(n));
      offset += i * st;
    } else {
      const int64_t step = s.step;
      if (step == 0) throw ValueError("[strided_slice] slice step cannot be zero");
      // Python's slice.indices(n)
      int64_t lo = step > 0 ? 0 : -1, hi = step > 0 ? n : n - 1;
      auto clampi = [&](int64_t v) { if (v < 0) { v += n; if (v < lo) v = lo; } else if (v > hi) v = hi; return v; };
      int64_t start = s.has_start ? clampi(s.start) : (step > 0 ? lo : hi);
      int64_t stop = s.has_stop ? clampi(s.stop) : (step > 0 ? hi : lo);
      // len = ceil(distance / |step|), in unsigned arithmetic: |step| may be 2^63 and distance + |step| overflow
      const uint64_t mag = step > 0 ? static_cast<uint64_t>(step) : 0 - static_cast<uint64_t>(step);
      const int64_t dist = step > 0 ? stop - start : start - stop;  // both within [-1, n]: no overflow
      const int64_t len = dist > 0 ? static_cast<int64_t>((static_cast<uint64_t>(dist) - 1) / mag + 1) : 0;
      if (len > 0) offset += start * st;
      shape.push_back(len);
      strides.push_back(len > 1 ? st * step : st);  // |step| < n when len > 1, so the product fits
    }
    ++d;
  }
  return x.as_strided(shape, strides, offset);
}

Tensor strided_slice(const Tensor& x, const std::vector<SliceSpec>& specs) {
  Tensor out = slice_view(x, specs);
  TF_RECORD("strided_slice", {x}, {out}, [specs](const Tensors& in, const Tensors&, const Tensors& g) {
    return Tensors{strided_slice_grad(g[0], in[0].shape(), specs)};
  });
  return out;
}

Tensor slice(const Tensor& x, const std::vector<int64_t>& begin, const std::vector<int64_t>& size) {
  if (static_cast<int64_t>(begin.size()) != x.ndim() || static_cast<int64_t>(size.size()) != x.ndim())
    throw InvalidArgument("[slice] begin and size must have one entry per dimension of the input " + shape_str(x.shape()));
  std::vector<SliceSpec> specs;
  for (int64_t i = 0; i < x.ndim(); ++i) {
    const int64_t b = begin[i];
    // compared before adding: begin + size may overflow
    if (b < 0 || b > x.dim(i) || (size[i] != -1 && (size[i] < 0 || size[i] > x.dim(i) - b)))
      throw InvalidArgument("[slice] Expected begin " + std::to_string(b) + " and size " + std::to_string(size[i]) +
                            " to fit in dimension " + std::to_string(i) + " of size " + std::to_string(x.dim(i)));
    SliceSpec s{SliceSpec::Range};
    s.start = b; s.stop = size[i] == -1 ? x.dim(i) : b + size[i]; s.has_start = s.has_stop = true;
    specs.push_back(s);
  }
  return strided_slice(x, specs);
}

Tensor concat(const std::vector<Tensor>& xs, int64_t axis) {
  if (xs.empty()) throw ValueError("[concat] expects a non-empty list of tensors");
  const Tensor& x0 = xs[0];
  if (x0.ndim() == 0) throw InvalidArgument("[concat] cannot concatenate scalars (use stack instead)");
  axis = normalize_axis(axis, x0.ndim(), "concat");
  Shape shape = x0.shape();
  shape[axis] = 0;
  std::vector<const Tensor*> inputs;
  for (const Tensor& x : xs) inputs.push_back(&x);
  const OpDevice on_device("concat", inputs);
  for (size_t k = 0; k < xs.size(); ++k) {
    const Tensor& x = xs[k];
    check_same_dtype("concat", x0, x);
    bool ok = x.ndim() == x0.ndim();
    for (int64_t i = 0; ok && i < x.ndim(); ++i) ok = i == axis || x.dim(i) == x0.dim(i);
    if (!ok)
      throw InvalidArgument("[concat] Dimensions of inputs should match: shape[0] = " + shape_str(x0.shape()) +
                            " vs. shape[" + std::to_string(k) + "] = " + shape_str(x.shape()));
    shape[axis] += x.dim(axis);
  }
  Tensor out = Tensor::empty(shape, x0.dtype());
  std::vector<int64_t> sizes;
  int64_t pos = 0;
  for (const Tensor& x : xs) {
    Shape st = out.strides();
    const Tensor dst = out.as_strided(x.shape(), st, pos * st[axis]);
    TF_KERNEL(kern::copy(x, dst));
    pos += x.dim(axis);
    sizes.push_back(x.dim(axis));
  }
  TF_RECORD("concat", xs, {out}, [sizes, axis](const Tensors&, const Tensors&, const Tensors& g) {
    return split(g[0], sizes, axis);
  });
  return out;
}

Tensor stack(const std::vector<Tensor>& xs, int64_t axis) {
  if (xs.empty()) throw ValueError("[stack] expects a non-empty list of tensors");
  for (size_t k = 1; k < xs.size(); ++k)
    if (xs[k].shape() != xs[0].shape())
      throw InvalidArgument("[stack] Shapes of all inputs must match: values[0].shape = " + shape_str(xs[0].shape()) +
                            " != values[" + std::to_string(k) + "].shape = " + shape_str(xs[k].shape()));
  axis = normalize_axis(axis, xs[0].ndim() + 1, "stack");
  std::vector<Tensor> expanded;
  for (const Tensor& x : xs) expanded.push_back(expand_dims(x, axis));
  return concat(expanded, axis);
}

std::vector<Tensor> unstack(const Tensor& x, int64_t axis) {
  if (x.ndim() == 0) throw ValueError("[unstack] cannot unstack a scalar");
  axis = normalize_axis(axis, x.ndim(), "unstack");
  std::vector<Tensor> out;
  for (int64_t i = 0; i < x.dim(axis); ++i) {
    std::vector<SliceSpec> specs(static_cast<size_t>(axis), SliceSpec{SliceSpec::Range});
    SliceSpec s{SliceSpec::Index};
    s.start = i;
    specs.push_back(s);
    out.push_back(strided_slice(x, specs));
  }
  return out;
}

std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& sizes, int64_t axis) {
  if (x.ndim() == 0) throw ValueError("[split] cannot split a scalar");
  axis = normalize_axis(axis, x.ndim(), "split");
  int64_t total = 0;
  for (int64_t s : sizes) {
    if (s < 0) throw InvalidArgument("[split] split sizes must be non-negative");
    total += s;
  }
  if (total != x.dim(axis))
    throw InvalidArgument("[split] Determined shape must either match input shape along split_dim exactly if fully "
                          "specified, or be less than the size of the input along split_dim: sizes sum to " +
                          std::to_string(total) + " but dimension " + std::to_string(axis) + " has size " +
                          std::to_string(x.dim(axis)));
  std::vector<Tensor> out;
  int64_t pos = 0;
  for (int64_t s : sizes) {
    std::vector<SliceSpec> specs(static_cast<size_t>(axis), SliceSpec{SliceSpec::Range});
    SliceSpec r{SliceSpec::Range};
    r.start = pos; r.stop = pos + s; r.has_start = r.has_stop = true;
    specs.push_back(r);
    out.push_back(strided_slice(x, specs));
    pos += s;
  }
  return out;
}

Tensor tile(const Tensor& x, const std::vector<int64_t>& multiples) {
  if (static_cast<int64_t>(multiples.size()) != x.ndim())
    throw InvalidArgument("[tile] Expected multiples argument to be a vector of length " + std::to_string(x.ndim()) +
                          " but got length " + std::to_string(multiples.size()));
  Shape inter, bshape, final_shape;
  for (int64_t i = 0; i < x.ndim(); ++i) {
    if (multiples[i] < 0) throw InvalidArgument("[tile] Expected multiples[" + std::to_string(i) + "] >= 0");
    inter.push_back(1); inter.push_back(x.dim(i));
    bshape.push_back(multiples[i]); bshape.push_back(x.dim(i));
    int64_t n;
    if (__builtin_mul_overflow(multiples[i], x.dim(i), &n))
      throw InvalidArgument("[tile] multiples[" + std::to_string(i) + "] = " + std::to_string(multiples[i]) +
                            " makes axis " + std::to_string(i) + " longer than int64 can count");
    final_shape.push_back(n);
  }
  return reshape(broadcast_to(reshape(x, inter), bshape), final_shape);
}

Tensor pad(const Tensor& x, const std::vector<std::pair<int64_t, int64_t>>& paddings, int mode, double constant) {
  if (static_cast<int64_t>(paddings.size()) != x.ndim())
    throw InvalidArgument("[pad] The first dimension of paddings must be the rank of inputs: " +
                          std::to_string(paddings.size()) + " vs " + std::to_string(x.ndim()));
  for (const auto& p : paddings)
    if (p.first < 0 || p.second < 0) throw InvalidArgument("[pad] paddings must be non-negative");
  if (mode == 0) {
    Shape shape = x.shape();
    std::vector<SliceSpec> specs;
    for (int64_t i = 0; i < x.ndim(); ++i) {
      if (__builtin_add_overflow(shape[i], paddings[i].first, &shape[i]) ||
          __builtin_add_overflow(shape[i], paddings[i].second, &shape[i]))
        throw InvalidArgument("[pad] paddings (" + std::to_string(paddings[i].first) + ", " +
                              std::to_string(paddings[i].second) + ") make axis " + std::to_string(i) +
                              " longer than int64 can count");
      SliceSpec s{SliceSpec::Range};
      s.start = paddings[i].first; s.stop = paddings[i].first + x.dim(i); s.has_start = s.has_stop = true;
      specs.push_back(s);
    }
    Tensor out = full(shape, constant, x.dtype());
    const Tensor dst = slice_view(out, specs);
    TF_KERNEL(kern::copy(x, dst));
    TF_RECORD("pad", {x}, {out}, [specs](const Tensors&, const Tensors&, const Tensors& g) {
      return Tensors{strided_slice(g[0], specs)};
    });
    return out;
  }
  // REFLECT / SYMMETRIC: concatenate mirrored slices, one axis at a time.
  Tensor cur = x;
  for (int64_t i = 0; i < x.ndim(); ++i) {
    const int64_t n = x.dim(i), lo = paddings[i].first, hi = paddings[i].second, sh = mode == 1 ? 1 : 0;
    if (lo > n - sh || hi > n - sh)
      throw InvalidArgument("[pad] paddings must be less than" + std::string(mode == 1 ? "" : " or equal to") +
                            " the dimension size: " + std::to_string(std::max(lo, hi)) + " vs " + std::to_string(n) +
                            " on axis " + std::to_string(i));
    if (!lo && !hi) continue;
    auto piece = [&](int64_t b, int64_t e) {
      std::vector<int64_t> begin(static_cast<size_t>(x.ndim()), 0), size(cur.shape());
      begin[i] = b; size[i] = e - b;
      return reverse(slice(cur, begin, size), {i});
    };
    std::vector<Tensor> parts;
    if (lo) parts.push_back(piece(sh, sh + lo));
    parts.push_back(cur);
    if (hi) parts.push_back(piece(n - sh - hi, n - sh));
    cur = concat(parts, i);
  }
  return cur;
}

Tensor gather(const Tensor& params, const Tensor& indices, int64_t axis, int64_t batch_dims) {
  const OpDevice on_device("gather", {&params, &indices});
  check_index_dtype("gather", indices);
  if (batch_dims < 0) batch_dims += indices.ndim();
  if (batch_dims < 0 || batch_dims > indices.ndim() || batch_dims > params.ndim())
    throw InvalidArgument("[gather] batch_dims is out of range for indices of rank " + std::to_string(indices.ndim()));
  if (params.ndim() == 0) throw InvalidArgument("[gather] params must be at least 1-dimensional");
  axis = normalize_axis(axis, params.ndim(), "gather");
  if (axis < batch_dims) throw InvalidArgument("[gather] axis must be >= batch_dims");
  for (int64_t i = 0; i < batch_dims; ++i)
    if (params.dim(i) != indices.dim(i))
      throw InvalidArgument("[gather] params.shape[:batch_dims] " + shape_str(params.shape()) +
                            " must equal indices.shape[:batch_dims] " + shape_str(indices.shape()));
  Shape shape(params.shape().begin(), params.shape().begin() + axis);
  shape.insert(shape.end(), indices.shape().begin() + batch_dims, indices.shape().end());
  shape.insert(shape.end(), params.shape().begin() + axis + 1, params.shape().end());
  int64_t batch = 1, outer = 1, inner = 1;
  for (int64_t i = 0; i < batch_dims; ++i) batch *= params.dim(i);
  for (int64_t i = batch_dims; i < axis; ++i) outer *= params.dim(i);
  for (int64_t i = axis + 1; i < params.ndim(); ++i) inner *= params.dim(i);
  Tensor out = Tensor::empty(shape, params.dtype());
  Tensor idx = indices.contiguous();
  const Tensor pc = params.contiguous();
  TF_KERNEL(kern::gather(pc, idx, batch, outer, inner, out));
  autograd::SparseFn rows;
  if (axis == 0 && batch_dims == 0)  // a row lookup: the gradient of params is the looked-up rows' gradients
    rows = [idx](const Tensors& in, const Tensor& g) {
      Shape vs{idx.numel()};
      vs.insert(vs.end(), in[0].shape().begin() + 1, in[0].shape().end());
      return autograd::Slices{reshape(g, vs), reshape(idx, {idx.numel()})};
    };
  TF_RECORD("gather", {params, indices}, {out}, [idx, axis, batch_dims](const Tensors& in, const Tensors&, const Tensors& g) {
    return Tensors{gather_grad(g[0], idx, in[0].shape(), axis, batch_dims), Tensor()};
  }, rows);
  return out;
}

Tensor gather_nd(const Tensor& params, const Tensor& indices) {
  const OpDevice on_device("gather_nd", {&params, &indices});
  check_index_dtype("gather_nd", indices);
  if (indices.ndim() == 0 || indices.dim(indices.ndim() - 1) > params.ndim())
    throw InvalidArgument("[gather_nd] indices.shape[-1] must be <= params.rank, got indices " +
                          shape_str(indices.shape()) + " for params " + shape_str(params.shape()));
  const int64_t k = indices.dim(indices.ndim() - 1);
  Shape shape(indices.shape().begin(), indices.shape().end() - 1);
  shape.insert(shape.end(), params.shape().begin() + k, params.shape().end());
  Tensor out = Tensor::empty(shape, params.dtype());
  Tensor idx = indices.contiguous();
  const Tensor pc = params.contiguous();
  TF_KERNEL(kern::gather_nd(pc, idx, out));
  TF_RECORD("gather_nd", {params, indices}, {out}, [idx, k](const Tensors& in, const Tensors&, const Tensors& g) {
    if (k == 0) {  // every row was a whole copy of params
      std::vector<int64_t> rows(static_cast<size_t>(idx.ndim() - 1));
      for (size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<int64_t>(i);
      return Tensors{reduce_sum(g[0], Axes(rows), false), Tensor()};
    }
    return Tensors{scatter_nd(idx, g[0], in[0].shape()), Tensor()};
  });
  return out;
}

Tensor scatter_nd(const Tensor& indices, const Tensor& updates, const Shape& shape) {
  const OpDevice on_device("scatter_nd", {&indices, &updates});
  check_index_dtype("scatter_nd", indices);
  if (indices.ndim() == 0 || indices.dim(indices.ndim() - 1) > static_cast<int64_t>(shape.size()))
    throw InvalidArgument("[scatter_nd] indices.shape[-1] must be <= rank of shape " + shape_str(shape));
  if (indices.dim(indices.ndim() - 1) == 0)
    throw InvalidArgument("[scatter_nd] indices.shape[-1] must be at least 1 (each row names a place in the output), "
                          "got indices of shape " + shape_str(indices.shape()));
  const int64_t k = indices.dim(indices.ndim() - 1);
  Shape expect(indices.shape().begin(), indices.shape().end() - 1);
  expect.insert(expect.end(), shape.begin() + k, shape.end());
  if (updates.shape() != expect)
    throw InvalidArgument("[scatter_nd] updates has shape " + shape_str(updates.shape()) + " but indices and shape require " +
                          shape_str(expect));
  if (updates.dtype() == DType::Bool || updates.dtype() == DType::Float16)
    throw TypeError(std::string("[scatter_nd] unsupported dtype ") + dtype_name(updates.dtype()));
  Tensor out = Tensor::zeros(shape, updates.dtype());
  Tensor idx = indices.contiguous();
  const Tensor uc = updates.contiguous();
  TF_KERNEL(kern::scatter_nd_add(idx, uc, out));
  TF_RECORD("scatter_nd", {indices, updates}, {out}, [idx](const Tensors&, const Tensors&, const Tensors& g) {
    return Tensors{Tensor(), gather_nd(g[0], idx)};
  });
  return out;
}

Tensor one_hot(const Tensor& indices, int64_t depth, double on_value, double off_value, int64_t axis, DType dtype) {
  if (indices.dtype() == DType::UInt8)  // TensorFlow takes uint8 indices too
    return one_hot(cast(indices, DType::Int32), depth, on_value, off_value, axis, dtype);
  check_index_dtype("one_hot", indices);
  if (depth < 0) throw InvalidArgument("[one_hot] depth must be non-negative, got " + std::to_string(depth));
  if (axis == -1) axis = indices.ndim();
  axis = normalize_axis(axis, indices.ndim() + 1, "one_hot");
  Shape rshape(static_cast<size_t>(indices.ndim() + 1), 1);
  rshape[axis] = depth;
  Tensor positions = reshape(range(0, static_cast<double>(depth), 1, indices.dtype()), rshape);
  Tensor hit = compare(cpu::BinaryOp::Eq, expand_dims(indices, axis), positions);
  return where(hit, Tensor::scalar(on_value, dtype), Tensor::scalar(off_value, dtype));
}

}  // namespace ops
}  // namespace tapeflow
