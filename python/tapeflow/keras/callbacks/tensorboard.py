"""The TensorBoard callback: event files under ``log_dir/train`` and ``log_dir/validation``,
written with tensorboardX (an optional dependency: ``pip install tensorboardX``)."""
import os
import time

import numpy as np

from tapeflow.keras.callbacks.base import Callback


def _summary_writer_class():
    try:
        from tensorboardX import SummaryWriter
    except ImportError:
        raise ImportError("The TensorBoard callback writes event files with the `tensorboardX` package, which is not "
                          "installed: `pip install tensorboardX` (or `pip install tapeflow[tensorboard]`).") from None
    return SummaryWriter


def graph_def(model):
    """The layer graph of a Sequential or functional model as a GraphDef (one node per layer call,
    its op the layer class), or None for a subclassed model, whose graph is only known while it runs."""
    from tensorboardX.proto.attr_value_pb2 import AttrValue
    from tensorboardX.proto.graph_pb2 import GraphDef
    from tensorboardX.proto.node_def_pb2 import NodeDef
    from tensorboardX.proto.versions_pb2 import VersionDef
    from tapeflow.keras.models import Functional, Sequential
    from tapeflow.keras.utils.plot import layer_edges
    if not isinstance(model, (Functional, Sequential)):
        return None
    edges = layer_edges(model)
    nodes, seen = [], set()
    for layer, parents in edges:
        name = "%s/%s" % (model.name, layer.name)
        if name in seen:  # a shared layer: one node, every caller an input
            node = next(n for n in nodes if n.name == name)
            node.input.extend("%s/%s" % (model.name, p.name) for p in parents)
            continue
        seen.add(name)
        nodes.append(NodeDef(name=name, op=type(layer).__name__,
                             input=["%s/%s" % (model.name, p.name) for p in parents],
                             attr={"dtype": AttrValue(s=str(layer.dtype).encode())}))
    return GraphDef(node=nodes, versions=VersionDef(producer=22))


class TensorBoard(Callback):
    """Logs for TensorBoard.

    Args:
      log_dir: where the ``train`` and ``validation`` event-file directories go.
      histogram_freq: every this many epochs, writes a histogram of every weight (0: never).
      write_graph: writes the model's layer graph (Sequential and functional models).
      write_steps_per_second: also logs training steps per second each epoch.
      update_freq: ``"epoch"``; or ``"batch"`` / an integer N: also writes ``batch_*`` scalars every N
        batches (at the global batch count).

    Scalars are named as tf.keras names them: ``epoch_loss``, ``epoch_accuracy``, ``epoch_learning_rate``
    (validation values under the same names in the validation run), ``batch_loss``.
    """

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0, embeddings_freq=0,
                 embeddings_metadata=None):
        super().__init__()
        self._writer_class = _summary_writer_class()
        for arg, value in (("write_images", write_images), ("profile_batch", profile_batch),
                           ("embeddings_freq", embeddings_freq), ("embeddings_metadata", embeddings_metadata)):
            if value:
                raise NotImplementedError("TensorBoard(%s=%r) is not supported in this version of tapeflow."
                                          % (arg, value))
        if update_freq == "batch":
            update_freq = 1
        if update_freq != "epoch" and not (isinstance(update_freq, int) and update_freq > 0):
            raise ValueError("update_freq must be 'epoch', 'batch' or a positive integer; got %r" % (update_freq,))
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = update_freq
        self._writers = {}
        self._global_batch = 0
        self._epoch_start = None
        self._epoch_batches = 0

    def _writer(self, run):
        if run not in self._writers:
            self._writers[run] = self._writer_class(os.path.join(self.log_dir, run))
        return self._writers[run]

    def on_train_begin(self, logs=None):
        self._global_batch = 0
        if self.write_graph:
            graph = graph_def(self.model)
            if graph is not None:
                from tensorboardX.proto import event_pb2
                self._writer("train")._get_file_writer().add_event(
                    event_pb2.Event(graph_def=graph.SerializeToString()))

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.time()
        self._epoch_batches = 0

    def on_train_batch_end(self, batch, logs=None):
        self._global_batch += 1
        self._epoch_batches += 1
        if self.update_freq != "epoch" and self._global_batch % self.update_freq == 0:
            writer = self._writer("train")
            for k, v in (logs or {}).items():
                if np.ndim(v) == 0:
                    writer.add_scalar("batch_" + k, float(v), self._global_batch)

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        if "learning_rate" not in logs and getattr(self.model, "optimizer", None) is not None:
            logs["learning_rate"] = float(np.asarray(self.model.optimizer.learning_rate))
        if self.write_steps_per_second and self._epoch_start is not None:
            logs["steps_per_second"] = self._epoch_batches / max(time.time() - self._epoch_start, 1e-9)
        train, val = self._writer("train"), None
        for k, v in logs.items():
            if np.ndim(v) != 0:
                continue
            if k.startswith("val_"):
                val = val or self._writer("validation")
                val.add_scalar("epoch_" + k[4:], float(v), epoch)
            else:
                train.add_scalar("epoch_" + k, float(v), epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            for layer in self.model._flatten_layers():
                for w in layer._own_variables():
                    short = getattr(w, "_keras_short_name", None) or w.name.split(":")[0].split("/")[-1]
                    train.add_histogram("%s/%s" % (layer.name, short), w.numpy(), epoch)
        for writer in self._writers.values():
            writer.flush()

    def on_train_end(self, logs=None):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}
