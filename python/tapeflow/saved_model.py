"""tf.saved_model: tapeflow does not write or read TensorFlow's SavedModel protobuf format; these say what to use."""

_ALTERNATIVES = ("tapeflow does not %s TensorFlow SavedModel directories. Save a Keras model with "
                 "model.save('model.keras') and load it with keras.models.load_model (Keras 3 reads the same file), "
                 "or save variables with tf.train.Checkpoint.")


def save(obj, export_dir, signatures=None, options=None):
    raise NotImplementedError(_ALTERNATIVES % "write")


def load(export_dir, tags=None, options=None):
    raise NotImplementedError(_ALTERNATIVES % "read")


__all__ = ["save", "load"]
