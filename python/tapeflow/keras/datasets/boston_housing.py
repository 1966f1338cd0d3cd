"""keras.datasets.boston_housing: 506 Boston districts, 13 features, median home value (k$)."""
from tapeflow.keras.datasets._regression import load

SHA256 = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """``(x_train, y_train), (x_test, y_test)``: arrays (n, 13) and (n,), split after a seeded shuffle."""
    return load("boston_housing.npz", SHA256, path, test_split, seed)
