"""What runs a colorizer's network: ONNX Runtime (the bundled models, no framework) or Keras.

Both wrappers are callables from a float32 batch ``(N, h, w, channels)`` to the network's raw
outputs as NumPy (a dict ``{"ab_bins", "ab"}`` for two heads), and say what ``colorize`` needs to
know about the network: its output ``kind`` (``colorize_cnn.heads``), ``stride``,
``padding_multiple``, input ``channels`` and ``fixed_size``. ``colorize_cnn.export`` writes the
ONNX files, with those facts in their metadata, from the ``.keras`` files they are checked against.
"""

import numpy as np

KERAS, ONNX = "keras", "onnx"
RUNTIMES = (ONNX, KERAS)
METADATA_PREFIX = "colorize_cnn."  # keys of the facts an exported file carries (export.METADATA)


class OnnxNetwork:
    """An exported network (``colorize_cnn.export``) on ONNX Runtime's CPU provider."""

    runtime = ONNX
    model = None

    def __init__(self, path):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3  # errors only: its warnings are about graph rewrites, not the user's photo
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        metadata = self.session.get_modelmeta().custom_metadata_map
        facts = {key[len(METADATA_PREFIX):]: value for key, value in metadata.items() if key.startswith(METADATA_PREFIX)}
        missing = {"kind", "stride", "padding_multiple"} - set(facts)
        if missing:
            raise ValueError(f"it carries no {', '.join(sorted(missing))} in its metadata (not written by "
                             "colorize_cnn.export)")
        self.kind = facts["kind"]
        self.stride = int(facts["stride"])
        self.padding_multiple = int(facts["padding_multiple"])
        self.source_sha256 = facts.get("source_sha256")
        (self._input,) = self.session.get_inputs()
        height, width, self.channels = self._input.shape[1:]
        self.fixed_size = (height, width) if isinstance(height, int) and isinstance(width, int) else None
        self._outputs = [output.name for output in self.session.get_outputs()]

    def __call__(self, batch):
        values = self.session.run(self._outputs, {self._input.name: np.asarray(batch, np.float32)})
        if len(values) == 1:
            return values[0]
        return dict(zip(self._outputs, values))


class KerasNetwork:
    """A ``keras.Model`` colorizer (needs the train extra)."""

    runtime = KERAS

    def __init__(self, model):
        from colorize_cnn import heads

        self.model = heads.raw_model(model)
        self.kind = heads.output_kind(self.model)
        self.stride = heads.output_stride(self.model)
        self.padding_multiple = heads.padding_multiple(self.model)
        *_, height, width, self.channels = self.model.input_shape
        self.fixed_size = None if height is None or width is None else (height, width)

    def __call__(self, batch):
        from colorize_cnn import heads

        return heads.network_outputs(self.model, batch)
