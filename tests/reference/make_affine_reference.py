"""Writes affine_reference.npz: Keras 3.15's (TensorFlow 2.21 backend) outputs of RandomRotation, RandomZoom and
RandomTranslation with fixed factors (a range of one value), every fill mode and interpolation, on one image
batch. Run it with Keras installed (not a tapeflow dependency): python make_affine_reference.py"""
import json

import keras
import numpy as np
from keras import layers

img = (np.arange(2*5*6*2).reshape(2,5,6,2) % 17).astype("float32") * 1.5
cases = []
for mode in ["reflect","wrap","constant","nearest"]:
    for interp in ["bilinear","nearest"]:
        cases.append(("RandomRotation", dict(factor=(0.1,0.1), fill_mode=mode, interpolation=interp, fill_value=2.0)))
        cases.append(("RandomZoom", dict(height_factor=(0.3,0.3), width_factor=(-0.2,-0.2), fill_mode=mode, interpolation=interp)))
        cases.append(("RandomTranslation", dict(height_factor=(0.23,0.23), width_factor=(-0.31,-0.31), fill_mode=mode, interpolation=interp)))
cases.append(("RandomRotation", dict(factor=(-0.25,-0.25))))
cases.append(("RandomZoom", dict(height_factor=(-0.5,-0.5))))
cases.append(("RandomTranslation", dict(height_factor=(1.0,1.0), width_factor=(0.5,0.5), fill_mode="wrap")))
out = {}
for i,(name,kw) in enumerate(cases):
    out["case%d" % i] = np.asarray(getattr(layers,name)(**kw)(img, training=True))
import os
np.savez_compressed(os.path.join(os.path.dirname(os.path.abspath(__file__)), "affine_reference.npz"), image=img,
                    cases=np.array(json.dumps(cases)), **out)
