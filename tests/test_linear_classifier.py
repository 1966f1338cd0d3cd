"""The issue's acceptance case: 40 full-batch steps reach loss < 0.05 and accuracy > 95%."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples"))

import linear_classifier  # noqa: E402


def test_linear_classifier_trains():
    losses, accuracy = linear_classifier.train(steps=40, lr=0.1, seed=0, verbose=False)
    assert losses[-1] < 0.05, losses[-5:]
    assert losses[-1] < losses[0] / 5
    assert accuracy > 0.95


def test_linear_classifier_other_seeds():
    for seed in (1, 2):
        losses, accuracy = linear_classifier.train(steps=40, lr=0.1, seed=seed, verbose=False)
        assert losses[-1] < 0.05 and accuracy > 0.95, (seed, losses[-1], accuracy)
