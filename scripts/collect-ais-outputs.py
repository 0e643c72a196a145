"""After ais_bench's accuracy run: move its outputs into the common layout
(``outputs/{chip}/bs{bs}/<stem>_0.bin``) and write the summary json with the workflow's
fields. Reads both summary layouts (``<dir>_summary.json`` beside the folder, or the
older ``sumary.json`` inside it). ais_bench names each output after its input file cut at
the first dot; the mapping back to the samples is proved one-to-one first (no shared
names, every sample once in ``filesinfo``, no missing or extra file), else one error line
names the first offending file and ais_bench's folder and summary are removed. Called by
the `infer_ais_bench` rule after ais_bench.

By hand:  python scripts/collect-ais-outputs.py --model dcgan --chip Ascend310P3 --bs 4 \
              --raw results/dcgan/ais/Ascend310P3/bs4 \
              --inputs results/dcgan/inputs --out results/dcgan/outputs/Ascend310P3/bs4 \
              --summary results/dcgan/outputs/Ascend310P3/bs4_summary.json
"""

from ganinfer import cli, registry
from ganinfer.backends.ascend import collect_outputs


def run(model: str, chip: str, bs: int, raw: str, inputs: str, out: str, summary: str):
    spec = registry.get(model)
    extra = {"chip": chip, "batch_size": bs, "backend": "ais_bench"}
    rec = collect_outputs(spec, inputs, raw, out, summary, extra)
    mean = rec["NPU_compute_time"].get("mean", 0.0)
    print(f"{model} {chip} bs{bs}: {rec['samples']} outputs collected, NPU compute mean {mean:.3f} ms -> {out}")


if __name__ == "__main__":
    cli.main(run)
