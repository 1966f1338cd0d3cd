"""tf.version: tapeflow's own version (not a TensorFlow version number)."""
VERSION = "0.1.0"
GIT_VERSION = "unknown"
COMPILER_VERSION = "unknown"
