"""Keras 3's image preprocessing layers (channels last): resizing and cropping, and random augmentations active
in training only."""
