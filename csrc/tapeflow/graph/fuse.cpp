#include "tapeflow/graph/fuse.h"

#include <algorithm>
#include <unordered_map>

#include "tapeflow/core/threadpool.h"
#include "tapeflow/cpu/loops.h"

namespace tapeflow {
namespace graph {
namespace {

constexpr size_t kMaxCode = 8;  // instructions in one program
constexpr int64_t kTile = 256;  // values per tile: a tile's intermediates (8 KB at most) stay in L1

bool is_f32(const Tensor& t) { return t.dtype() == DType::Float32 && t.device().type == Device::CPU; }
bool full(const Tensor& t, int64_t n) { return t.numel() == n && t.is_contiguous(); }

struct Program {
  // Operands: r >= 0 is inputs[r] (a range, or one value when not full), r < 0 the result of instruction ~r.
  struct Ins { bool binary; int op, a, b; };
  std::vector<Tensor> inputs;
  std::vector<Ins> code;  // the last one writes `out`
  Tensor out;
  int64_t grain = cpu::kElementwiseGrain;
};

void run(const Program& p) {
  const int64_t n = p.out.numel();
  float* out = p.out.data<float>();
  std::vector<const float*> base(p.inputs.size());
  std::vector<int64_t> step(p.inputs.size());
  for (size_t e = 0; e < p.inputs.size(); ++e) {
    base[e] = p.inputs[e].data<float>();
    step[e] = full(p.inputs[e], n) ? 1 : 0;
  }
  parallel_for(n, p.grain, [&](int64_t lo, int64_t hi) {
    alignas(64) float tmp[kMaxCode][kTile];
    for (int64_t t0 = lo; t0 < hi; t0 += kTile) {
      const int64_t m = std::min(kTile, hi - t0);
      auto at = [&](int r, int64_t& s) -> const float* {
        if (r < 0) return s = 1, tmp[~r];
        return s = step[r], base[r] + t0 * step[r];
      };
      for (size_t k = 0; k < p.code.size(); ++k) {
        const Program::Ins& ins = p.code[k];
        float* dst = k + 1 == p.code.size() ? out + t0 : tmp[k];
        int64_t sa = 0, sb = 0;
        const float* a = at(ins.a, sa);
        if (ins.binary) {
          const float* b = at(ins.b, sb);
          cpu::f32_range_binary(static_cast<cpu::BinaryOp>(ins.op), a, sa, b, sb, dst, m);
        } else {
          cpu::f32_range_unary(static_cast<cpu::UnaryOp>(ins.op), a, dst, m);
        }
      }
    }
  });
}

std::shared_ptr<Program> program_of(const Elementwise& e) {
  auto p = std::make_shared<Program>();
  p->inputs.push_back(e.a);
  if (e.binary) p->inputs.push_back(e.b);
  p->code.push_back({e.binary, e.op, 0, e.binary ? 1 : 0});
  p->out = e.out;
  if (!e.binary) p->grain = cpu::f32_range_grain(static_cast<cpu::UnaryOp>(e.op));
  return p;
}

// The program that computes P and then C, with C's inputs in storage s (P's result) read from P's last instruction.
std::shared_ptr<Program> merge(const Program& P, const Program& C, const Storage* s) {
  auto r = std::make_shared<Program>(P);
  const int shift = static_cast<int>(P.code.size());
  std::vector<int> remap(C.inputs.size());
  for (size_t e = 0; e < C.inputs.size(); ++e) {
    if (C.inputs[e].storage().get() == s) {
      remap[e] = ~(shift - 1);
    } else {
      remap[e] = static_cast<int>(r->inputs.size());
      r->inputs.push_back(C.inputs[e]);
    }
  }
  auto moved = [&](int o) { return o >= 0 ? remap[o] : ~(~o + shift); };
  for (const Program::Ins& ins : C.code) r->code.push_back({ins.binary, ins.op, moved(ins.a), ins.binary ? moved(ins.b) : 0});
  r->out = C.out;
  r->grain = std::min(P.grain, C.grain);
  return r;
}

std::vector<const Storage*> storages_of(const Program& p) {
  std::vector<const Storage*> v{p.out.storage().get()};
  for (const Tensor& t : p.inputs) v.push_back(t.storage().get());
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

}  // namespace

std::shared_ptr<const Elementwise> describe_unary(cpu::UnaryOp op, const Tensor& x, const Tensor& out) {
  if (!capturing() || !cpu::f32_range_unary_ok(op) || !is_f32(x) || !is_f32(out) || out.numel() == 0 ||
      !out.is_contiguous() || !full(x, out.numel()))
    return nullptr;
  return std::make_shared<const Elementwise>(Elementwise{false, static_cast<int>(op), x, Tensor(), out});
}

std::shared_ptr<const Elementwise> describe_binary(cpu::BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  const int64_t n = out.defined() ? out.numel() : 0;
  if (!capturing() || !cpu::f32_range_binary_ok(op) || !is_f32(a) || !is_f32(b) || !is_f32(out) || n == 0 ||
      !out.is_contiguous() || !(full(a, n) || cpu::one_value(a)) || !(full(b, n) || cpu::one_value(b)))
    return nullptr;
  return std::make_shared<const Elementwise>(Elementwise{true, static_cast<int>(op), a, b, out});
}

void fuse_elementwise(std::vector<Step>& steps, const std::unordered_set<const Storage*>& kept,
                      const std::unordered_set<const Storage*>& allocated) {
  const size_t n = steps.size();
  std::vector<std::shared_ptr<Program>> prog(n);
  std::unordered_map<const Storage*, int> uses;        // kernels that touch each storage
  std::unordered_map<const Storage*, size_t> producer;  // the map whose result a storage holds
  for (size_t k = 0; k < n; ++k) {
    for (const Storage* s : steps[k].touched) ++uses[s];
    if (steps[k].ew) {
      prog[k] = program_of(*steps[k].ew);
      producer[steps[k].ew->out.storage().get()] = k;
    }
  }
  std::vector<bool> alive(n, true);
  bool any = false;
  for (size_t j = 0; j < n; ++j) {
    // Fold producers into map j while one of its inputs qualifies (the merged inputs may have producers too).
    for (bool merged = true; prog[j] && merged;) {
      merged = false;
      const Program& C = *prog[j];
      const int64_t count = C.out.numel();
      for (const Tensor& in : C.inputs) {
        const Storage* s = in.storage().get();
        const auto it = producer.find(s);
        if (it == producer.end() || it->second >= j) continue;
        const size_t i = it->second;
        const Program& P = *prog[i];
        // Only the producer and this map see the buffer, and every input of this map in it is the whole result.
        if (uses[s] != 2 || kept.count(s) || !allocated.count(s) || s->variable || s->host_constant ||
            P.out.numel() != count || P.code.size() + C.code.size() > kMaxCode)
          continue;
        if (std::any_of(C.inputs.begin(), C.inputs.end(), [&](const Tensor& t) {
              return t.storage().get() == s && !(full(t, count) && t.offset() == P.out.offset());
            }))
          continue;
        // The producer's inputs are read later than they were: nothing in between may touch them.
        const std::vector<const Storage*> reads = storages_of(P);
        bool clear = true;
        for (size_t k = i + 1; k < j && clear; ++k)
          if (alive[k])
            for (const Storage* t : steps[k].touched)
              if (std::binary_search(reads.begin(), reads.end(), t)) clear = false;
        if (!clear) continue;
        std::shared_ptr<Program> fused = merge(P, C, s);
        for (const Storage* t : steps[i].touched) --uses[t];
        for (const Storage* t : steps[j].touched) --uses[t];
        steps[j].touched = storages_of(*fused);
        for (const Storage* t : steps[j].touched) ++uses[t];
        alive[i] = false;
        prog[i].reset();
        producer.erase(s);
        prog[j] = std::move(fused);
        merged = any = true;
        break;  // C is gone: look at the new program's inputs
      }
    }
  }
  if (!any) return;
  std::vector<Step> out;
  for (size_t k = 0; k < n; ++k) {
    if (!alive[k]) continue;
    if (prog[k] && prog[k]->code.size() > 1) {
      std::shared_ptr<const Program> p = std::move(prog[k]);
      steps[k] = Step{"fused_elementwise", [p] { run(*p); }, std::move(steps[k].touched), nullptr};
    }
    out.push_back(std::move(steps[k]));
  }
  steps = std::move(out);
}

}  // namespace graph
}  // namespace tapeflow
