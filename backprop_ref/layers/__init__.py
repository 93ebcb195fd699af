"""Layers: each keeps forward and backward together (see `base.Layer` for the contract)."""

from backprop_ref.layers.activations import LeakyReLU, ReLU, Sigmoid, Tanh, sigmoid
from backprop_ref.layers.base import Layer
from backprop_ref.layers.batchnorm import BatchNorm1d
from backprop_ref.layers.conv import Conv2d
from backprop_ref.layers.dropout import Dropout
from backprop_ref.layers.flatten import Flatten
from backprop_ref.layers.linear import Linear
from backprop_ref.layers.pool import MaxPool2d
from backprop_ref.layers.rnn import RNN
from backprop_ref.layers.sequential import Sequential

__all__ = [
    "BatchNorm1d", "Conv2d", "Dropout", "Flatten", "Layer", "LeakyReLU", "Linear",
    "MaxPool2d", "ReLU", "RNN", "Sequential", "Sigmoid", "Tanh", "sigmoid",
]
