"""keras.datasets: real data sets read from their published file formats."""
from tapeflow.keras.datasets import (boston_housing, california_housing, cifar10, cifar100, digits, fashion_mnist,
                                     imdb, mnist, reuters)

__all__ = ["boston_housing", "california_housing", "cifar10", "cifar100", "digits", "fashion_mnist", "imdb", "mnist",
           "reuters"]
