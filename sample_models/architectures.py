"""PyTorch architectures of the bundled sample models.

``DigitsCNN`` is the class that ``digits_cnn.toml`` names (``architecture = "architectures.py:DigitsCNN"``):
``digits_cnn.pt`` holds only its weights (a state dict), which are loaded with
``torch.load(path, weights_only=True)`` into an instance built here.

``CreditMLP`` is the eager form of the TorchScript archive ``credit_mlp.pt``; the archive does not need
this file, but the tests use it to check that the scripted module computes what the eager one does.

This file imports nothing but torch, so that a loader can execute it on its own.
"""

import torch
from torch import nn


class CreditMLP(nn.Module):
    """A small fully connected network for tabular data: ``n_inputs -> 32 -> 16 -> n_outputs`` logits.

    Parameters
    ----------
    n_inputs : int
        Number of input columns (the width of the preprocessor's output).
    n_outputs : int, default=2
        Number of logits, one per class.

    Examples
    --------
    >>> net = CreditMLP(n_inputs=5)
    >>> net(torch.zeros(3, 5)).shape
    torch.Size([3, 2])
    """

    def __init__(self, n_inputs: int, n_outputs: int = 2):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(n_inputs, 32),
            nn.ReLU(),
            nn.Linear(32, 16),
            nn.ReLU(),
            nn.Linear(16, n_outputs),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits, shape ``(n, n_outputs)``, for a float32 tensor of shape ``(n, n_inputs)``."""
        return self.layers(x)


class DigitsCNN(nn.Module):
    """A small convolutional network for 8x8 grey-scale digit images (scikit-learn's ``load_digits``).

    Input: float32 tensor of shape ``(n, 1, 8, 8)`` with values in [0, 1] (the dataset's 0..16 pixel
    values divided by 16). Output: 10 logits, one per digit 0..9. No dropout or batch normalisation,
    so evaluation is deterministic.

    Parameters
    ----------
    n_classes : int, default=10
        Number of logits.

    Examples
    --------
    >>> net = DigitsCNN()
    >>> net(torch.zeros(4, 1, 8, 8)).shape
    torch.Size([4, 10])
    """

    def __init__(self, n_classes: int = 10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.Conv2d(16, 32, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(32 * 4 * 4, 64),
            nn.ReLU(),
            nn.Linear(64, n_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits, shape ``(n, n_classes)``, for images of shape ``(n, 1, 8, 8)``."""
        return self.classifier(self.features(x))
