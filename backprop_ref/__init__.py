"""backprop_ref: the reference package of the backpropagation course.

Small, readable NumPy implementations of everything the book teaches, each checked against
finite differences in float64:

- `autograd` — a scalar autograd engine (`Value`), and `graph.draw_graph` to draw it;
- `layers` — layers with forward and backward side by side (`Linear`, `ReLU`, `Conv2d`, ...);
- `losses` — MSE (½ convention), binary and softmax cross-entropy with logits;
- `optim`, `schedules` — SGD/momentum/Nesterov, RMSProp, Adam; learning-rate schedules;
- `gradcheck` — central differences and a gradient checker that names the worst element;
- `data`, `train` — offline datasets and a small training loop; `plotting` — the book's figures.

Every entry point checks its input: a wrong shape or dtype raises ValueError naming both, and
nan or inf raises `NonFiniteError` (a ValueError) counting them and naming the first.
"""

from backprop_ref import autograd, data, gradcheck, layers, losses, optim, schedules, train
from backprop_ref._validate import NonFiniteError
from backprop_ref.autograd import Value
from backprop_ref.gradcheck import GradcheckError, check_layer, numerical_gradient
from backprop_ref.layers import (
    RNN, BatchNorm1d, Conv2d, Dropout, Flatten, Layer, LeakyReLU, Linear, MaxPool2d, ReLU,
    Sequential, Sigmoid, Tanh,
)
from backprop_ref.losses import BCEWithLogitsLoss, MSELoss, SoftmaxCrossEntropyLoss
from backprop_ref.optim import SGD, Adam, RMSProp, clip_grad_norm
from backprop_ref.train import History, evaluate, fit

__version__ = "0.1.0"

__all__ = [
    "Adam", "BCEWithLogitsLoss", "BatchNorm1d", "Conv2d", "Dropout", "Flatten",
    "GradcheckError", "History", "Layer", "LeakyReLU", "Linear", "MSELoss", "MaxPool2d",
    "NonFiniteError", "RMSProp", "RNN", "ReLU", "SGD", "Sequential", "Sigmoid",
    "SoftmaxCrossEntropyLoss", "Tanh", "Value", "autograd", "check_layer", "clip_grad_norm",
    "data", "evaluate", "fit", "gradcheck", "layers", "losses", "numerical_gradient", "optim",
    "schedules", "train",
]
