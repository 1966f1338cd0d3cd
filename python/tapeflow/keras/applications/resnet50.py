"""keras.applications.resnet50 (the module name Keras also keeps)."""
from tapeflow.keras.applications.resnet import ResNet50, preprocess_input  # noqa: F401
