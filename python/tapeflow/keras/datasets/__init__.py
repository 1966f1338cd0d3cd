"""keras.datasets: real data sets read from their published file formats."""
from tapeflow.keras.datasets import digits, fashion_mnist, mnist

__all__ = ["digits", "fashion_mnist", "mnist"]
