"""keras.layers: the layer catalogue."""
from tapeflow.keras.layers.layer import Layer
from tapeflow.keras.layers.input_spec import InputSpec
from tapeflow.keras.layers.input_layer import Input, InputLayer
from tapeflow.keras.layers.dense import Dense
from tapeflow.keras.layers.activation import Activation
from tapeflow.keras.layers.elu import ELU
from tapeflow.keras.layers.feature_normalization import Normalization
from tapeflow.keras.layers.preprocessing.categorical import CategoryEncoding, Discretization
from tapeflow.keras.layers.preprocessing.index_lookup import IntegerLookup, StringLookup
from tapeflow.keras.layers.preprocessing.text_vectorization import TextVectorization
from tapeflow.keras.layers.preprocessing.center_crop import CenterCrop
from tapeflow.keras.layers.preprocessing.random_affine import RandomRotation, RandomTranslation, RandomZoom
from tapeflow.keras.layers.preprocessing.random_brightness import RandomBrightness
from tapeflow.keras.layers.preprocessing.random_contrast import RandomContrast
from tapeflow.keras.layers.preprocessing.random_crop import RandomCrop
from tapeflow.keras.layers.preprocessing.random_flip import RandomFlip
from tapeflow.keras.layers.preprocessing.resizing import Resizing
from tapeflow.keras.layers.leaky_relu import LeakyReLU
from tapeflow.keras.layers.prelu import PReLU
from tapeflow.keras.layers.relu import ReLU
from tapeflow.keras.layers.rescaling import Rescaling
from tapeflow.keras.layers.softmax import Softmax
from tapeflow.keras.layers.flatten import Flatten
from tapeflow.keras.layers.reshape import Reshape
from tapeflow.keras.layers.dropout import Dropout
from tapeflow.keras.layers.lambda_layer import Lambda
from tapeflow.keras.layers.convolutional import (Conv1D, Conv2D, Conv2DTranspose, Convolution1D, Convolution2D,
                                                 Convolution2DTranspose, DepthwiseConv2D, SeparableConv2D,
                                                 SeparableConvolution2D)
from tapeflow.keras.layers.pooling import (AveragePooling1D, AveragePooling2D, AvgPool1D, AvgPool2D,
                                           GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAvgPool1D,
                                           GlobalAvgPool2D, GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPooling1D,
                                           GlobalMaxPooling2D, MaxPool1D, MaxPool2D, MaxPooling1D, MaxPooling2D)
from tapeflow.keras.layers.normalization import BatchNormalization, GroupNormalization, LayerNormalization
from tapeflow.keras.layers.reshaping import (Cropping1D, Cropping2D, UpSampling1D, UpSampling2D, ZeroPadding1D,
                                             ZeroPadding2D)
from tapeflow.keras.layers.attention import Attention, MultiHeadAttention
from tapeflow.keras.layers.embedding import Embedding, Masking
from tapeflow.keras.layers.rnn import GRU, GRUCell, LSTM, LSTMCell, RNN, SimpleRNN, SimpleRNNCell
from tapeflow.keras.layers.wrappers import Bidirectional, TimeDistributed
from tapeflow.keras.layers.merging import (Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract, add,
                                           average, concatenate, maximum, minimum, multiply, subtract)

__all__ = ["Layer", "InputSpec", "Input", "InputLayer", "Dense", "Activation", "Flatten", "Reshape", "Dropout",
           "Lambda", "Add", "Average", "Concatenate", "Maximum", "Minimum", "Multiply", "Subtract", "add", "average",
           "concatenate", "maximum", "minimum", "multiply", "subtract", "Conv1D", "Conv2D", "Convolution1D",
           "Convolution2D", "AveragePooling1D", "AveragePooling2D", "AvgPool1D", "AvgPool2D", "GlobalAveragePooling1D",
           "GlobalAveragePooling2D", "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalMaxPool1D", "GlobalMaxPool2D",
           "GlobalMaxPooling1D", "GlobalMaxPooling2D", "MaxPool1D", "MaxPool2D", "MaxPooling1D", "MaxPooling2D",
           "BatchNormalization", "LayerNormalization", "Cropping1D", "Cropping2D", "UpSampling1D", "UpSampling2D",
           "ZeroPadding1D", "ZeroPadding2D", "Conv2DTranspose", "Convolution2DTranspose", "DepthwiseConv2D",
           "SeparableConv2D", "SeparableConvolution2D", "GroupNormalization", "Embedding", "Masking", "RNN", "SimpleRNN",
           "SimpleRNNCell", "LSTM", "LSTMCell", "GRU", "GRUCell", "Bidirectional", "TimeDistributed",
           "Attention", "MultiHeadAttention", "ELU", "LeakyReLU", "PReLU", "ReLU", "Rescaling", "Softmax",
           "Normalization", "CategoryEncoding", "Discretization", "IntegerLookup", "StringLookup", "TextVectorization", "CenterCrop", "RandomBrightness", "RandomContrast", "RandomFlip", "Resizing",
           "RandomCrop", "RandomRotation", "RandomTranslation", "RandomZoom"]

_BY_NAME = {name: globals()[name] for name in __all__ if isinstance(globals()[name], type)}


def serialize(layer):
    from tapeflow.keras.saving.serialization import serialize_keras_object
    return serialize_keras_object(layer)


def deserialize(config, custom_objects=None):
    """A layer from ``{"class_name": ..., "config": ...}``; ``custom_objects`` maps names of user classes."""
    from tapeflow.keras.saving.serialization import deserialize_keras_object
    return deserialize_keras_object(config, custom_objects)
