"""TensorFlow set up the same way for every model trained here: seeded, deterministic kernels,
one thread each, so the same command gives the same weights and the same ONNX bytes.

Imported only by training code (the ``ml`` extra); nothing that serves imports it."""

from __future__ import annotations

import os
from typing import Any


class TensorFlowMissing(RuntimeError):
    """Training needs the ``ml`` extra."""


def tensorflow(seed: int) -> tuple[Any, Any]:
    """``(tensorflow, keras)``, seeded with ``seed``."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ["TF_DETERMINISTIC_OPS"] = "1"
    # oneDNN's fused kernels round differently from one CPU to the next: plain Eigen kernels.
    os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
    try:
        import tensorflow as tf  # type: ignore[import-untyped]
    except ImportError as error:
        raise TensorFlowMissing(
            "training needs TensorFlow: pip install -e '.[ml]' (tensorflow-cpu, tf2onnx, onnx)"
        ) from error
    import keras  # type: ignore[import-untyped]

    try:
        tf.config.threading.set_inter_op_parallelism_threads(1)
        tf.config.threading.set_intra_op_parallelism_threads(1)
    except RuntimeError:
        pass  # already initialised in this process (a second training): still one thread each
    tf.config.experimental.enable_op_determinism()
    keras.utils.set_random_seed(seed)
    return tf, keras
