"""Models declared in the config (``onnx_models``): the registry spec of each, checked against its graph.

A declaration names an ONNX file the user exported, its inputs in the graph's order (name, shape of
one sample, how the samples are made) and how an output becomes an image; the key names, kinds and
defaults are those of config/schema.yaml (``onnx_models``). ``build_spec`` reads the graph's inputs
and outputs (not its weights' values) and turns every disagreement into one line naming the file,
the key and the fix, before any job runs: an input missing or misnamed, a rank, a static dimension
or an element type that differs, more than one output, an output dimension that is not static.

The graph's batch axis is its first axis, symbolic or fixed; the ``import_onnx`` stage makes it
symbolic, so every configured batch size is served where the graph allows it.
"""

from __future__ import annotations

from pathlib import Path

from ganinfer.errors import CONFIG_HINT, InputError
from ganinfer.schema import setting
from ganinfer.spec import AtcSpec, ModelSpec, TensorSpec

FLOAT = 1  # onnx.TensorProto.FLOAT: the element type of every .bin the workflow writes


def declaration_schema() -> dict:
    """The schema of one ``onnx_models`` entry."""
    return setting("onnx_models")["additionalProperties"]


def defaults() -> tuple[dict, dict]:
    """The schema defaults of an entry's keys and of an input's keys."""
    entry = declaration_schema()["properties"]
    item = entry["inputs"]["items"]["properties"]
    pick = lambda props: {k: v["default"] for k, v in props.items() if "default" in v}  # noqa: E731
    return pick(entry), pick(item)


def _dims(value_info) -> list:
    """The dims of a graph input or output: an int when static, else its name (or '?')."""
    return [
        d.dim_value if d.HasField("dim_value") else (d.dim_param or "?") for d in value_info.type.tensor_type.shape.dim
    ]


def read_graph(path: str, where: str):
    """The graph of ``path`` without its external data; a missing or unreadable file is one line."""
    from ganinfer.onnxfile import load_onnx

    if not Path(path).is_file():
        raise InputError(f"{path}: ONNX file not found (fix {where}.onnx in {CONFIG_HINT})")
    try:
        return load_onnx(path, external_data=False)
    except InputError as exc:
        raise InputError(f"{exc} (or fix {where}.onnx in {CONFIG_HINT})") from None


def _check_inputs(path: str, where: str, graph, declared: list[dict]) -> None:
    init = {i.name for i in graph.graph.initializer}
    actual = [v for v in graph.graph.input if v.name not in init]
    names = [v.name for v in actual]
    for i, item in enumerate(declared):
        key = f"{where}.inputs[{i}]"
        if i >= len(actual):
            raise InputError(
                f"{path}: the graph has {len(actual)} input(s) ({', '.join(names)}), {key} declares one more; "
                f"remove it (fix {where}.inputs in {CONFIG_HINT})"
            )
        v = actual[i]
        if item["name"] != v.name:
            k = names.index(item["name"]) if item["name"] in names else i
            hint = f"the graph's input {k} is '{names[k]}'" if k == i else f"'{item['name']}' is the graph's input {k}"
            raise InputError(
                f"{path}: {key}.name '{item['name']}' does not match the graph's inputs in order ({', '.join(names)}; "
                f"{hint}); declare them in the graph's order with its names (fix {key} in {CONFIG_HINT})"
            )
        elem = v.type.tensor_type.elem_type
        if elem != FLOAT:
            import onnx

            raise InputError(
                f"{path}: input '{v.name}' is {onnx.TensorProto.DataType.Name(elem).lower()}, the workflow feeds "
                f"float32; export the graph with a float32 input '{v.name}'"
            )
        dims, shape = _dims(v), list(item["shape"])
        if len(dims) != len(shape) + 1:
            raise InputError(
                f"{path}: {key}.shape {shape} is {len(shape)}-d per sample, but the graph's '{v.name}' is "
                f"{dims} ({len(dims) - 1}-d after the batch axis); fix {key}.shape in {CONFIG_HINT}"
            )
        for axis, (got, want) in enumerate(zip(dims[1:], shape, strict=True), start=1):
            if isinstance(got, int) and got > 0 and got != want:
                raise InputError(
                    f"{path}: {key}.shape {shape} differs from the graph's '{v.name}' {dims} at axis {axis} "
                    f"({want} vs {got}); fix {key}.shape in {CONFIG_HINT}"
                )
    if len(declared) < len(actual):
        missing = ", ".join(names[len(declared) :])
        raise InputError(
            f"{path}: the graph's input(s) {missing} are not declared; add them to {where}.inputs "
            f"(in the graph's order) in {CONFIG_HINT}"
        )


def _output(path: str, where: str, graph, inputs: tuple[TensorSpec, ...], declared: list | None) -> TensorSpec:
    """The one graph output and its sample shape: the graph's static dims (shape inference at batch 1 fills
    symbolic ones), or where inference cannot (pads computed from Shape ops) the declared ``output_shape``."""
    outputs = list(graph.graph.output)
    if len(outputs) != 1:
        raise InputError(
            f"{path}: the graph has {len(outputs)} outputs ({', '.join(o.name for o in outputs)}); the workflow "
            f"takes one image output: export the generator with a single output"
        )
    dims = _dims(outputs[0])
    if not all(isinstance(d, int) and d > 0 for d in dims[1:]):
        import onnx

        fixed = onnx.ModelProto()
        fixed.CopyFrom(graph)
        for v, t in zip((v for v in fixed.graph.input if v.name in {t.name for t in inputs}), inputs, strict=False):
            for d, value in zip(v.type.tensor_type.shape.dim, t.batch_shape(1), strict=True):
                d.dim_value = value
        # inference keeps dims already written (an exporter's symbolic ones): infer them afresh
        del fixed.graph.value_info[:]
        fixed.graph.output[0].type.tensor_type.ClearField("shape")
        try:
            inferred = onnx.shape_inference.infer_shapes(fixed, strict_mode=False, data_prop=True)
            dims = [dims[0], *_dims(inferred.graph.output[0])[1:]]
        except Exception:  # noqa: BLE001  (any failure leaves the dims unresolved, reported below)
            pass
    static = all(isinstance(d, int) and d > 0 for d in dims[1:])
    if declared is not None:
        fits = len(declared) == len(dims) - 1 and all(
            not (isinstance(d, int) and d > 0) or d == want for d, want in zip(dims[1:], declared, strict=False)
        )
        if not fits:
            raise InputError(
                f"{path}: {where}.output_shape {list(declared)} does not fit the graph's output "
                f"'{outputs[0].name}' {dims}; fix it or remove it (in {CONFIG_HINT})"
            )
        return TensorSpec(outputs[0].name, tuple(int(d) for d in declared))
    if not static:
        raise InputError(
            f"{path}: output '{outputs[0].name}' has the shape {dims}, whose dims after the batch axis shape "
            f"inference cannot resolve; declare one sample's shape as {where}.output_shape (e.g. [3, 256, 256]) "
            f"in {CONFIG_HINT}"
        )
    return TensorSpec(outputs[0].name, tuple(dims[1:]))


def build_spec(name: str, decl: dict) -> ModelSpec:
    """The registry spec of the declared model ``name``, checked against its graph."""
    where = f"onnx_models.{name}"
    entry_defaults, item_defaults = defaults()
    decl = {**entry_defaults, **decl}
    items = [{**item_defaults, **item} for item in decl["inputs"]]
    for i, item in enumerate(items):
        key = f"{where}.inputs[{i}]"
        if item["kind"] == "images" and (len(item["shape"]) != 3 or item["shape"][0] not in (1, 3)):
            raise InputError(
                f"{key}: kind images needs a shape [C, H, W] with C 1 or 3, not {item['shape']} "
                f"(fix it in {CONFIG_HINT})"
            )
        if item["kind"] == "onehot" and len(item["shape"]) != 1:
            raise InputError(
                f"{key}: kind onehot needs a shape [classes], not {item['shape']} (fix it in {CONFIG_HINT})"
            )
        if item["kind"] != "images" and (item.get("folder") or item.get("range")):
            raise InputError(
                f"{key}: folder and range are for kind images, this input is {item['kind']} (fix it in {CONFIG_HINT})"
            )
    path = str(decl["onnx"])
    graph = read_graph(path, where)
    _check_inputs(path, where, graph, items)
    inputs = tuple(
        TensorSpec(
            item["name"],
            tuple(int(d) for d in item["shape"]),
            item["kind"],
            str(item.get("folder") or ""),
            item.get("range") or ("tanh" if item["kind"] == "images" else ""),
        )
        for item in items
    )
    output = _output(path, where, graph, inputs, decl.get("output_shape"))
    postprocess, quality = decl["postprocess"], decl.get("quality")
    if postprocess != "none" and (len(output.shape) != 3 or output.shape[0] not in (1, 3)):
        raise InputError(
            f"{path}: output '{output.name}' is {list(output.shape)} per sample, not an image [C, H, W] with C 1 "
            f"or 3; set {where}.postprocess: none (no images) in {CONFIG_HINT}"
        )
    if quality and postprocess == "none":
        raise InputError(f"{where}.quality: {quality} scores images; it needs a postprocess other than none")
    atc = decl.get("atc") or {}
    if atc.get("out_nodes"):
        node = str(atc["out_nodes"]).split(":", 1)[0]
        if node not in {n.name for n in graph.graph.node}:
            raise InputError(
                f"{path}: {where}.atc.out_nodes names the node '{node}', which the graph does not have; "
                f"fix it in {CONFIG_HINT}"
            )
    image_like = all(len(t.shape) == 3 for t in inputs)
    return ModelSpec(
        name=name,
        title=decl.get("title") or f"{name} (ONNX {Path(path).name})",
        guide=f"{where} in the config",
        network="",
        checkpoint_key=None,
        inputs=inputs,
        output=output,
        file_stem="{:05d}",
        preprocess="declared",
        postprocess=postprocess,
        quality=quality,
        dataset="images",
        atc=AtcSpec(
            input_format=atc.get("input_format", "NCHW" if image_like else "ND"),
            out_nodes=atc.get("out_nodes"),
            keep_dtype=tuple(atc.get("keep_dtype") or ()),
        ),
        onnx=path,
    )
