"""A small image folder (three classes of PNG and JPEG files of different sizes and modes), made from a fixed
seed, for tests/test_image_dataset.py and make_image_dataset_reference.py."""
import os

import numpy as np


def make_image_folder(root):
    from PIL import Image
    rng = np.random.default_rng(21)
    sizes = [(9, 7), (12, 12), (5, 14), (10, 6)]
    for c, name in enumerate(["cats", "dogs", "zebras"]):
        os.makedirs(os.path.join(root, name), exist_ok=True)
        for i in range(4 + c):
            h, w = sizes[(i + c) % len(sizes)]
            pixels = rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)
            img = Image.fromarray(pixels)
            if i % 3 == 1:
                img = img.convert("L")  # a grayscale file among RGB ones
            img.save(os.path.join(root, name, "img%02d.png" % i))
    os.makedirs(os.path.join(root, "dogs", "nested"), exist_ok=True)
    Image.fromarray(rng.integers(0, 256, size=(8, 8, 3), dtype=np.uint8)).save(
        os.path.join(root, "dogs", "nested", "deep.png"))
    with open(os.path.join(root, "cats", "notes.txt"), "w") as f:
        f.write("not an image")
    return root
