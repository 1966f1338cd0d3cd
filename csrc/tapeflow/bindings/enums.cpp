// The C++ enums Python passes to the engine, exported by name (tapeflow._core.Act, RnnCell, UpdateRule), so that
// the two sides never agree by position: reordering an enum cannot silently change what Python asks for.
#include "tapeflow/bindings/bindings.h"
#include "tapeflow/cpu/kernels.h"

namespace tapeflow {

void init_enums(py::module_& m) {
  py::enum_<cpu::Act>(m, "Act", "Activations the fused kernels (Dense, the recurrent layers) apply")
      .value("linear", cpu::Act::Linear)
      .value("tanh", cpu::Act::Tanh)
      .value("sigmoid", cpu::Act::Sigmoid)
      .value("relu", cpu::Act::Relu)
      .value("hard_sigmoid", cpu::Act::HardSigmoid)
      .value("gelu", cpu::Act::Gelu)
      .value("gelu_tanh", cpu::Act::GeluTanh);
  py::enum_<cpu::RnnCell>(m, "RnnCell", "Cells of the fused whole-sequence recurrent kernel")
      .value("simple_rnn", cpu::RnnCell::SimpleRNN)
      .value("lstm", cpu::RnnCell::LSTM)
      .value("gru", cpu::RnnCell::GRU);
  py::enum_<cpu::UpdateRule>(m, "UpdateRule", "The fused optimizer updates (cpu/kernels.h)")
      .value("sgd", cpu::UpdateRule::SGD)
      .value("momentum", cpu::UpdateRule::Momentum)
      .value("nesterov", cpu::UpdateRule::Nesterov)
      .value("adam", cpu::UpdateRule::Adam)
      .value("adam_amsgrad", cpu::UpdateRule::AdamAmsgrad)
      .value("rmsprop", cpu::UpdateRule::RMSprop)
      .value("adagrad", cpu::UpdateRule::Adagrad);
}

}  // namespace tapeflow
