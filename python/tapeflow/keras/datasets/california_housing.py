"""keras.datasets.california_housing: 20 640 California districts, 8 features, median house value."""
from tapeflow.keras.datasets._regression import load

SHA256 = "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"


def load_data(version="large", path="california_housing.npz", test_split=0.2, seed=113):
    """``(x_train, y_train), (x_test, y_test)``: arrays (n, 8) and (n,) as stored; ``version="small"`` keeps the
    first 600 districts."""
    if version not in ("small", "large"):
        raise ValueError("Argument `version` must be one of 'small', 'large'. Received: version=%s" % version)
    return load("california_housing.npz", SHA256, path, test_split, seed, 600 if version == "small" else None)
