// General matrix multiply on strided operands:
//   C[m, n] (= or +=) sum_k A[m, k] * B[k, n], then optionally C = act(C + bias[n])
// A element (m, k) lives at a[m * rsa + k * csa], likewise B; C is row-major
// with leading dimension ldc. Transposes are expressed through the strides, so
// no operand is copied except into the packed panels.
#pragma once
#include <cstdint>
#include <string>

namespace tapeflow {
namespace cpu {

// Activation codes, shared with Python (the fused recurrent layers and Dense): append only.
enum class Act { Linear, Tanh, Sigmoid, Relu, HardSigmoid, Gelu, GeluTanh };

// Applied to each finished tile of C: bias (one value per column, may be null) then the activation.
template <class T>
struct Epilogue {
  const T* bias = nullptr;
  Act act = Act::Linear;
  bool active() const { return bias != nullptr || act != Act::Linear; }
};

void gemm_f32(int64_t M, int64_t N, int64_t K, const float* a, int64_t rsa, int64_t csa, const float* b, int64_t rsb,
              int64_t csb, float* c, int64_t ldc, bool accumulate, const Epilogue<float>& ep = {});
void gemm_f64(int64_t M, int64_t N, int64_t K, const double* a, int64_t rsa, int64_t csa, const double* b, int64_t rsb,
              int64_t csb, double* c, int64_t ldc, bool accumulate, const Epilogue<double>& ep = {});

// "avx512", "avx2" or "generic": the float32 micro-kernel picked for this CPU.
std::string gemm_isa();
// Forces a micro-kernel ("avx512", "avx2", "generic"; "" = auto) for tests and benchmarks.
// Returns false when the CPU cannot run it.
bool gemm_force_isa(const std::string& isa);

}  // namespace cpu
}  // namespace tapeflow
