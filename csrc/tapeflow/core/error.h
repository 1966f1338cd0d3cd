// Typed errors raised by the core. Messages start with the op name in brackets
// ("[matmul] ..."); the bindings map each type to a Python exception.
#pragma once
#include <stdexcept>
#include <string>

namespace tapeflow {

struct ValueError : std::runtime_error { using std::runtime_error::runtime_error; };
struct TypeError : std::runtime_error { using std::runtime_error::runtime_error; };
struct IndexError : std::runtime_error { using std::runtime_error::runtime_error; };
// tf.errors.InvalidArgumentError (a ValueError in Python too).
struct InvalidArgument : std::runtime_error { using std::runtime_error::runtime_error; };
// tf.errors.UnimplementedError / NotImplementedError.
struct Unimplemented : std::runtime_error { using std::runtime_error::runtime_error; };
// tf.errors.ResourceExhaustedError: out of (device) memory.
struct ResourceExhausted : std::runtime_error { using std::runtime_error::runtime_error; };
// Misuse of stateful objects (a spent non-persistent tape): RuntimeError.
struct RuntimeError : std::runtime_error { using std::runtime_error::runtime_error; };

#define TF_CHECK(cond, ExcType, msg)   \
  do {                                 \
    if (!(cond)) throw ExcType(msg);   \
  } while (0)

}  // namespace tapeflow
