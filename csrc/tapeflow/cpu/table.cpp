// The CPU kernel table: every entry is the CPU kernel of its name (core/dispatch.h).
#include "tapeflow/core/dispatch.h"

namespace tapeflow {

const KernelTable& cpu_kernel_table() {
#define TF_CPU_ENTRY(name) &cpu::name,
  static const KernelTable table{TF_KERNEL_TABLE(TF_CPU_ENTRY)};
#undef TF_CPU_ENTRY
  return table;
}

}  // namespace tapeflow
