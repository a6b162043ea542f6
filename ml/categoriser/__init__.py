"""The trained categoriser: data, training (TensorFlow) and evaluation.

Only ``ml.categoriser.train`` imports TensorFlow, and only inside its functions; prediction lives
in ``shared.categorisation.trained`` (onnxruntime and numpy).
"""
