"""The dataclasses that describe a model: its tensors, ATC options, quality procedure and registry entry.

A leaf: it imports nothing from the package, so every layer (the registry, the config declarations, the
stage libraries) can name these types without importing one another.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TensorSpec:
    """One ONNX input or output: its name and the shape of one sample (no batch axis).

    For a model declared in the config, an input also says how its samples are made
    (preprocess kind ``declared``): ``kind`` normal, onehot or images, and for images the
    ``folder`` (empty: demo photographs) and the value ``range`` (tanh, imagenet or unit)."""

    name: str
    shape: tuple[int, ...]
    kind: str = "normal"
    folder: str = ""
    range: str = ""

    def batch_shape(self, bs: int) -> tuple[int, ...]:
        return (bs, *self.shape)

    def sample_bytes(self) -> int:
        n = 4  # float32
        for d in self.shape:
            n *= d
        return n


@dataclass(frozen=True)
class AtcSpec:
    """Model-specific ATC options (the common ones are built by the compile stage)."""

    input_format: str | None = "NCHW"
    out_nodes: str | None = None
    keep_dtype: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModelSpec:
    name: str
    title: str
    guide: str
    network: str  # module under ganinfer.models
    checkpoint_key: str | None  # generator state under ckpt[key]; None = bare state_dict
    inputs: tuple[TensorSpec, ...]
    output: TensorSpec  # default-architecture output shape; the real one comes from the graph
    file_stem: str  # input file stem of generated samples, formatted with the sample index
    preprocess: str  # kind, see ganinfer.preprocess
    postprocess: str  # kind, see ganinfer.images
    accuracy: tuple[str, ...] = ("flat_cosine",)
    quality: str | None = None  # kind, see QUALITY_KINDS
    preprocess_uses_weights: bool = False  # e.g. a class embedding taken from the checkpoint
    checkpoint_parts: tuple[str, ...] = ()  # several files, each a submodule's state (prefix = part name)
    dataset: str = ""  # what a configured dataset folder holds (image preprocess kinds)
    opset: int = 11
    dynamic_batch: bool = True
    graph_fixups: tuple[str, ...] = ()
    atc: AtcSpec = field(default_factory=AtcSpec)
    default_samples: int = 256
    default_batch_sizes: tuple[int, ...] = (1, 4, 16, 64)
    onnx: str = ""  # a declared model's ONNX file (built-in models are exported from their network)

    @property
    def reference(self) -> str:
        """What the accuracy table compares every chip with."""
        return "ONNX Runtime CPU fp32, original graph" if self.onnx else "PyTorch CPU fp32"

    @property
    def input_names(self) -> list[str]:
        return [t.name for t in self.inputs]

    def sample_name(self, index: int) -> str:
        return self.file_stem.format(index)


@dataclass(frozen=True)
class QualitySpec:
    """How a quality kind is measured: the procedure of the guide that reports it."""

    metrics: tuple[str, ...]  # "is" and/or "fid"
    network: str  # ganinfer.inception variant
    weights_key: str  # its weights file: config quality.<weights_key>
    images: str  # generator output -> [0, 1] image: "tanh" = (x + 1) / 2 on the raw float output,
    #              "postprocess" = the 8-bit image of the model's postprocess kind / 255 (what is saved)
    resize: str  # resize to 299 x 299, as written in the tables
    procedure: str  # one line for the README and the JSON records
