"""The ``cpu-fp16`` chip: a CPU prediction of what ATC's fp16 compilation does to a model's accuracy.

ATC compiles for inference in fp16 (``--precision_mode`` defaults to ``force_fp16``; the ``.om`` keeps
fp32 inputs and outputs), leaving the operators of its ``--keep_dtype`` file in their original
precision. This chip converts the simplified ONNX the same way with onnxconverter-common's float16
converter (weights and activations in float16, graph inputs and outputs float32, the keep list's op
types and node names left in float32 with Casts around them) and runs it on ONNX Runtime's CPU EP.

ONNX Runtime's CPU EP computes every fp16 node it has no fp16 kernel for in fp32 between Casts it inserts,
and then deletes the Cast pairs between two such nodes (``InsertCastTransformer``,
``RemoveDuplicateCastTransformer``): a Pow output of 90000 would never overflow. So every fp16 tensor a
node produces passes through two Identity nodes (``BARRIER``), which ONNX Runtime runs in fp16, with its
``EliminateIdentity`` rewrite off: each op then reads fp16 values and writes fp16 values, as on the NPU.
"""

from __future__ import annotations

import warnings

from ganinfer import keepdtype
from ganinfer.backends import backend_of
from ganinfer.backends.onnxruntime import OrtSession
from ganinfer.errors import InputError
from ganinfer.onnxfile import load_onnx

CONVERTER = "onnxconverter-common"
CONVERTER_VERSION = "1.16.0"
FP16_MAX = 65504.0  # the largest finite float16; weights beyond it are clamped to it
FP16_TINY = 2.0**-24  # the smallest positive float16 (subnormal); smaller nonzero weights become it
BARRIER = "fp16_barrier"  # the Identity nodes that hold a tensor in fp16 (name suffixes)
NO_IDENTITY_ELIMINATION = ("optimization.disable_specified_optimizers", "EliminateIdentity")


def import_float16():
    """onnxconverter-common's float16 module, or one line naming the fix."""
    try:
        from onnxconverter_common import float16
    except ImportError as exc:
        raise InputError(
            f"chip 'cpu-fp16' needs {CONVERTER}, which is not importable here ({exc}); "
            f"pip install {CONVERTER}=={CONVERTER_VERSION} (requirements.txt), or run with --use-conda"
        ) from None
    return float16


def keep_list(options: dict) -> keepdtype.KeepList:
    """The keep list of the session options: ``keep_dtype_file`` (ATC's file) or ``keep_dtype`` (its entries,
    a list or a comma-separated string)."""
    if options.get("keep_dtype_file"):
        return keepdtype.read(options["keep_dtype_file"])
    entries = options.get("keep_dtype") or []
    if isinstance(entries, str):
        entries = entries.split(",")
    return keepdtype.parse(entries, "the model's keep_dtype list (registry, or onnx_models.<model>.atc.keep_dtype)")


def _name_nodes(graph) -> None:
    """Give every unnamed node a unique name (the converter names its Casts after the nodes)."""
    taken = {n.name for n in graph.node}
    for i, node in enumerate(graph.node):
        if not node.name:
            name = f"{node.op_type}_{i}"
            while name in taken:
                name += "_"
            node.name = name
            taken.add(name)


def _constants_for(graph, kept) -> None:
    """Constants as the converter needs them: a Constant node's tensor becomes an initializer, and a float
    initializer read by kept and other nodes alike gets a copy for the kept ones, so that each stays in the
    precision of the nodes that read it (the converter leaves an initializer in fp32 when a kept node reads it)."""
    from onnx import TensorProto

    constants = [n for n in graph.node if n.op_type == "Constant" and [a.name for a in n.attribute] == ["value"]]
    for node in constants:
        tensor = node.attribute[0].t
        tensor.name = node.output[0]
        graph.initializer.append(tensor)
        graph.node.remove(node)
    # the converter casts a kept node's input that has a value_info, an initializer too, which it then converts
    names = {init.name for init in graph.initializer}
    stale = [v for v in graph.value_info if v.name in names]
    for info in stale:
        graph.value_info.remove(info)
    readers: dict[str, set[bool]] = {}
    for node in graph.node:
        for name in node.input:
            readers.setdefault(name, set()).add(kept(node))
    for init in list(graph.initializer):
        if init.data_type == TensorProto.FLOAT and readers.get(init.name) == {True, False}:
            copy = graph.initializer.add()
            copy.CopyFrom(init)
            copy.name = f"{init.name}_fp32"
            for node in graph.node:
                if kept(node):
                    node.input[:] = [copy.name if i == init.name else i for i in node.input]


def _fp32_between_kept(graph) -> None:
    """Drop the Cast fp32 -> fp16 -> fp32 round trips between two kept nodes, which would round an fp32 edge to
    fp16 (ATC keeps it fp32). The converter removes one when the first Cast has one reader; with several
    (onnxconverter-common 1.16.0, ``remove_unnecessary_cast_node``, compares the Casts' ``to`` with 32 and 16
    instead of 1 and 10) it stays."""
    from onnx import TensorProto

    def cast_to(node, elem: int) -> bool:
        return node.op_type == "Cast" and any(a.name == "to" and a.i == elem for a in node.attribute)

    outputs = {o.name for o in graph.output}
    readers: dict[str, list] = {}
    for node in graph.node:
        for name in node.input:
            readers.setdefault(name, []).append(node)
    dropped = []
    for down in [n for n in graph.node if cast_to(n, TensorProto.FLOAT16)]:
        source, half = down.input[0], down.output[0]
        ups = [r for r in readers.get(half, []) if cast_to(r, TensorProto.FLOAT) and r.output[0] not in outputs]
        for up in ups:
            for reader in readers.get(up.output[0], []):
                reader.input[:] = [source if i == up.output[0] else i for i in reader.input]
            dropped.append(up)
        if half not in outputs and len(ups) == len(readers.get(half, [])):
            dropped.append(down)
    for node in dropped:
        graph.node.remove(node)


def _pin_fp16(model) -> None:
    """Route every fp16 tensor a node produces through two Identity nodes (see the module's docstring)."""
    from onnx import TensorProto, helper, shape_inference

    graph = model.graph
    typed = shape_inference.infer_shapes(model)
    elem = {v.name: v.type.tensor_type.elem_type for v in (*typed.graph.value_info, *graph.input, *graph.output)}
    outputs = {o.name for o in graph.output}
    used = {name for node in graph.node for name in node.input}
    pinned = {
        out: f"{out}_{BARRIER}_b"
        for node in graph.node
        if node.op_type != "Constant"
        for out in node.output
        if out in used and out not in outputs and elem.get(out) == TensorProto.FLOAT16
    }
    nodes = []
    for node in graph.node:
        for i, name in enumerate(node.input):
            if name in pinned:
                node.input[i] = pinned[name]
        nodes.append(node)
        for out in node.output:
            if out in pinned:
                middle = f"{out}_{BARRIER}_a"
                nodes.append(helper.make_node("Identity", [out], [middle], name=middle))
                nodes.append(helper.make_node("Identity", [middle], [pinned[out]], name=pinned[out]))
    del graph.node[:]
    graph.node.extend(nodes)


def to_fp16(model, keep: keepdtype.KeepList | None = None):
    """``model`` (not modified) converted as ATC treats it: float16 weights and activations, float32 graph
    inputs and outputs, ``keep``'s op types and nodes in float32; every fp16 tensor held in fp16 on
    ONNX Runtime's CPU EP. The converter's default block list (ops ONNX Runtime has no fp16 kernel
    for at all, e.g. Resize, Max, Min) stays in float32 as well; their outputs are rounded to fp16."""
    import onnx

    float16 = import_float16()
    keep = keep or keepdtype.KeepList()
    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    _name_nodes(copy.graph)
    blocked = {*float16.DEFAULT_OP_BLOCK_LIST, *keep.op_types}
    _constants_for(copy.graph, lambda node: node.op_type in blocked or node.name in keep.nodes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # one per weight tensor clamped to the fp16 range
        fp16 = float16.convert_float_to_float16(
            copy,
            min_positive_val=FP16_TINY,
            max_finite_val=FP16_MAX,
            keep_io_types=True,
            op_block_list=sorted(blocked),
            node_block_list=list(keep.nodes),
        )
    _fp32_between_kept(fp16.graph)
    _pin_fp16(fp16)
    return fp16


class Fp16Session(OrtSession):
    """ONNX Runtime's CPU EP on the fp16 conversion of one ONNX file (path or serialized bytes); the keep
    list comes from the options (``keep_list``)."""

    precision = "fp16"

    def __init__(
        self, onnx_path: str | bytes, chip: str, threads: int, provider_options: dict | None = None, shared=False
    ):
        import onnx

        self.keep = keep_list(dict(provider_options or {}))
        model = onnx.load_from_string(onnx_path) if isinstance(onnx_path, bytes) else load_onnx(onnx_path)
        data = to_fp16(model, self.keep).SerializeToString()
        super().__init__(data, "cpu", threads, None, shared=shared)
        self.backend = backend_of(chip)
        self.providers = [*self.providers, f"fp16 emulation (keep_dtype: {' '.join(self.keep.entries()) or 'none'})"]

    def session_options(self, threads: int, shared: bool):
        """ONNX Runtime's options, its ``EliminateIdentity`` rewrite off (the fp16 barriers stay)."""
        opts = super().session_options(threads, shared)
        opts.add_session_config_entry(*NO_IDENTITY_ELIMINATION)
        return opts


Session = Fp16Session


def versions() -> dict:
    import onnxruntime as ort

    import_float16()
    from importlib import metadata

    return {"onnxruntime": ort.__version__, CONVERTER: metadata.version(CONVERTER)}
