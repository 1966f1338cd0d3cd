"""keras.applications.resnet50 (the module name Keras also keeps)."""
from tapeflow.keras.applications.resnet import ResNet50, decode_predictions, preprocess_input  # noqa: F401
