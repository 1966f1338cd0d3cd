"""keras.applications: image classification architectures, laid out as Keras lays them out (layer names and
order), so Keras's weight files load; nothing is downloaded when the file is already in ~/.keras/models."""
from tapeflow.keras.applications import imagenet_utils, mobilenet_v2, resnet, resnet50, vgg16
from tapeflow.keras.applications.mobilenet_v2 import MobileNetV2
from tapeflow.keras.applications.resnet import ResNet50
from tapeflow.keras.applications.vgg16 import VGG16

__all__ = ["VGG16", "ResNet50", "MobileNetV2", "vgg16", "resnet", "resnet50", "mobilenet_v2",
           "imagenet_utils"]
