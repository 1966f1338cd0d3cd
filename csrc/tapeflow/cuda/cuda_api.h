// The device layer's CUDA entry points. A CPU-only build links cuda/stub.cpp,
// where every allocation raises a clear error and no GPU is reported.
#pragma once
#include <cstddef>
#include <string>

namespace tapeflow {
namespace cuda {

bool built_with_cuda();
int device_count();              // 0 when no driver or no GPU is present
std::string device_name(int index);
void* device_alloc(size_t nbytes, int index);
void device_free(void* p, int index);

}  // namespace cuda
}  // namespace tapeflow
