"""Stage `keep_dtype_search`: the op types (and, with --nodes, node names) ATC must keep in fp32 for the
model's fp16 accuracy to pass, searched on the fp16 emulation chip (cpu-fp16) against the reference;
writes ATC's --keep_dtype file and the report of every step (ganinfer.precision).

By hand:  python scripts/search-keep-dtype.py --model dgnet --onnx results/dgnet/onnx/dgnet_bs1.onnx --bs 1 \
              --inputs results/dgnet/inputs --reference results/dgnet/reference \
              --cfg keep_dtype.cfg --report search.json [--threshold 0.99] [--nodes]
"""

from typing import Annotated

from ganinfer import cli, keepdtype, precision, registry
from ganinfer.backends import FP16_CHIP
from ganinfer.fileio import write_json
from ganinfer.onnxfile import load_onnx


def run(
    model: str,
    onnx: str,
    inputs: str,
    reference: str,
    bs: int,
    cfg: str,
    report: str,
    threshold: Annotated[float, cli.Setting("accuracy.threshold")],
    nodes: Annotated[bool, cli.Setting("ascend.keep_dtype_nodes")] = False,
    threads: int = 1,
):
    spec = registry.get(model)
    own = keepdtype.parse(spec.atc.keep_dtype, f"the keep_dtype list of model '{model}'")
    evaluate = precision.Evaluator(spec, onnx, inputs, reference, bs, threshold, threads)

    def logged(keep):
        result = evaluate(keep)
        verdict = "PASS" if result["passed"] else "FAIL"
        kept = " ".join(keep.entries()) or "nothing"
        print(f"keep {kept}: min cos {result['min_cosine']:.6f}, mean {result['mean_cosine']:.6f} -> {verdict}")
        return result

    found = precision.search(logged, precision.candidates(load_onnx(onnx)), own, nodes)
    record = {
        "model": model,
        "chip": FP16_CHIP,
        "batch_size": bs,
        "threshold": threshold,
        "onnx": str(onnx),
        "registry_keep_dtype": own.entries(),
        **found,
    }
    keepdtype.write(keepdtype.KeepList(tuple(found["op_types"]), tuple(found["nodes"])), cfg)
    write_json(record, report)
    kept = " ".join(found["keep_dtype"]) or "nothing"
    verdict = "PASS" if found["passed"] else f"no keep list passes {threshold}; the best found"
    print(
        f"{model}: keep {kept} (min cos {found['min_cosine']:.6f}, {verdict}) after {len(found['steps'])} steps "
        f"-> {cfg}"
    )


if __name__ == "__main__":
    cli.main(run)
