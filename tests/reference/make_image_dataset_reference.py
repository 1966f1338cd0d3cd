"""Records keras.utils.image_dataset_from_directory's output (Keras 3.15 / TensorFlow 2.21) on the folder
image_folder.py makes: the images, labels and file order without shuffling, and the file lists of a seeded
training / validation split. Run in an environment with TensorFlow and Pillow:

    /tmp/venv-tf/bin/python tests/reference/make_image_dataset_reference.py"""
import json
import os
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from image_folder import make_image_folder  # noqa: E402

root = make_image_folder(tempfile.mkdtemp())
out = {}
for mode, label_mode in (("rgb", "int"), ("grayscale", "categorical")):
    ds = keras.utils.image_dataset_from_directory(root, image_size=(6, 8), shuffle=False, batch_size=4,
                                                  color_mode=mode, label_mode=label_mode)
    batches = [(np.asarray(x).tolist(), np.asarray(y).tolist()) for x, y in ds]
    out["%s_%s" % (mode, label_mode)] = {"class_names": ds.class_names, "batches": batches,
                                         "files": [os.path.relpath(p, root) for p in ds.file_paths]}
for subset in ("training", "validation"):
    ds = keras.utils.image_dataset_from_directory(root, image_size=(4, 4), seed=5, validation_split=0.3,
                                                  subset=subset)
    out[subset] = [os.path.relpath(p, root) for p in ds.file_paths]
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "image_dataset_reference.json"), "w") as f:
    json.dump(out, f)
print("ok")
