"""Test-only simulator of ``python3 -m ais_bench``: options, batching, output layouts and
summary json of the real tool (2023-06); computation with ONNX Runtime."""

import argparse
import json
import os
import re
import sys
import time

import numpy as np


def natural(name):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def parser():
    p = argparse.ArgumentParser(prog="ais_bench")
    p.add_argument("--model", "-m", required=True)
    p.add_argument("--input", "-i")
    p.add_argument("--output", "-o")
    p.add_argument("--output_dirname")
    p.add_argument("--outfmt", choices=["NPY", "BIN", "TXT"], default="BIN")
    p.add_argument("--loop", "-l", type=int, default=1)
    p.add_argument("--debug", type=int, default=0)
    p.add_argument("--device", "-d", default="0")
    p.add_argument("--dymBatch", type=int, default=0)
    p.add_argument("--dymHW")
    p.add_argument("--dymDims")
    p.add_argument("--dymShape")
    p.add_argument("--outputSize")
    p.add_argument("--auto_set_dymshape_mode", type=int, default=0)
    p.add_argument("--auto_set_dymdims_mode", type=int, default=0)
    p.add_argument("--batchsize", type=int)
    p.add_argument("--pure_data_type", choices=["zero", "random"], default="zero")
    p.add_argument("--profiler", type=int, default=0)
    p.add_argument("--dump", type=int, default=0)
    p.add_argument("--acl_json_path")
    p.add_argument("--output_batchsize_axis", type=int, default=0)
    p.add_argument("--run_mode", choices=["array", "files", "tensor", "full"], default="array")
    p.add_argument("--display_all_summary", type=int, default=0)
    p.add_argument("--warmup_count", type=int, default=1)
    p.add_argument("--dymShape_range")
    return p


def fail(msg):
    print(f"[ERROR] {msg}", file=sys.stderr)
    sys.exit(1)


def stats(values):
    if not values:
        return {"min": 0, "max": 0, "mean": 0, "median": 0, "percentile(99%)": 0, "count": 0}
    x = np.asarray(values, dtype=np.float64)
    return {
        "min": float(x.min()),
        "max": float(x.max()),
        "mean": float(x.mean()),
        "median": float(np.median(x)),
        "percentile(99%)": float(np.percentile(x, 99)),
        "count": int(x.size),
    }


def main():
    args = parser().parse_args()
    import onnxruntime as ort

    try:
        om = json.load(open(args.model))
        assert om.get("simulated_om")
    except Exception:
        fail(f"{args.model}: not a model file this simulator wrote (run atc first)")
    sess = ort.InferenceSession(om["onnx"], providers=["CPUExecutionProvider"])
    ins = sess.get_inputs()
    shapes = [om["input_shape"].get(i.name) or [d if isinstance(d, int) else 1 for d in i.shape] for i in ins]
    sizes = [int(np.prod(s)) * 4 for s in shapes]

    if args.input:
        paths = args.input.split(",")
        if len(paths) != len(ins):
            fail(f"input count {len(paths)} does not match the model's {len(ins)} inputs")
        lists = []
        for p in paths:
            files = (
                [os.path.join(p, f) for f in sorted(os.listdir(p), key=natural) if f.endswith((".bin", ".npy"))]
                if os.path.isdir(p)
                else [p]
            )
            lists.append(files)
        if len({len(f) for f in lists}) != 1:
            fail("the input folders hold different numbers of files")
        per_batch = []
        for k, files in enumerate(lists):
            fsize = os.path.getsize(files[0])
            if sizes[k] % fsize:
                fail(f"input {k} size {sizes[k]} is not a multiple of file size {fsize} ({files[0]})")
            per_batch.append(sizes[k] // fsize)
        if len(set(per_batch)) != 1:
            fail(f"inputs pack different numbers of files per batch: {per_batch}")
        n = per_batch[0]
        groups = [list(range(s, min(s + n, len(lists[0])))) for s in range(0, len(lists[0]), n)]
    else:
        lists, n, groups = None, 1, [[0]]

    bs = args.batchsize or shapes[0][0]
    out_dir = None
    if args.output:
        out_dir = os.path.join(args.output, args.output_dirname or time.strftime("%Y_%m_%d-%H_%M_%S"))
        os.makedirs(out_dir, exist_ok=True)

    times, filesinfo = [], {}
    for g, idx in enumerate(groups):
        feeds = {}
        for k, i in enumerate(ins):
            if lists is None:
                feeds[i.name] = np.zeros(shapes[k], dtype=np.float32)
            else:
                padded = idx + [idx[0]] * (n - len(idx))
                data = np.concatenate([np.fromfile(lists[k][j], dtype=np.float32) for j in padded])
                feeds[i.name] = data.reshape(shapes[k])
        if g == 0:
            for _ in range(args.warmup_count):
                sess.run(None, feeds)
        for _ in range(args.loop):
            t0 = time.perf_counter()
            outs = sess.run(None, feeds)
            times.append((time.perf_counter() - t0) * 1000)
        if out_dir:
            outfiles = []
            if lists is None:
                for o, arr in enumerate(outs):
                    path = os.path.join(out_dir, f"pure_infer_data_{o}.bin")
                    arr.astype(np.float32).tofile(path)
                    outfiles.append(path)
            else:
                for pos, j in enumerate(idx):
                    stem = os.path.basename(lists[0][j]).split(".", 1)[0]
                    for o, arr in enumerate(outs):
                        path = os.path.join(out_dir, f"{stem}_{o}.bin")
                        np.split(arr, n, axis=args.output_batchsize_axis)[pos].astype(np.float32).tofile(path)
                        outfiles.append(path)
            infiles = [lists[k][j] for k in range(len(ins)) for j in idx] if lists else []
            filesinfo[str(g)] = {"infiles": infiles, "outfiles": outfiles}

    compute = stats(times)
    thr = 1000 * bs / compute["mean"] if compute["mean"] else 0
    print(
        f"[INFO] NPU_compute_time (ms): min = {compute['min']}, max = {compute['max']}, mean = {compute['mean']}, "
        f"median = {compute['median']}, percentile(99%) = {compute['percentile(99%)']}"
    )
    print(f"[INFO] throughput 1000*batchsize.mean({bs})/NPU_compute_time.mean({compute['mean']}): {thr}")
    if out_dir:
        h2d = stats([0.01] * len(times))
        if os.environ.get("AIS_BENCH_SIM_LAYOUT") == "old":
            summary = {
                "NPU_compute_time": compute,
                "H2D_latency": dict(h2d),
                "D2H_latency": dict(h2d),
                "throughput": thr,
                "filesinfo": filesinfo,
                "args": sys.argv,
            }
            for block in ("NPU_compute_time", "H2D_latency", "D2H_latency"):
                summary[block].pop("count")
            path = os.path.join(out_dir, "sumary.json")
        else:
            summary = {
                "filesinfo": filesinfo,
                "args": sys.argv,
                "NPU_compute_time": compute,
                "H2D_latency": dict(h2d),
                "D2H_latency": dict(h2d),
                "throughput": thr,
                "npu_compute_time_list": times,
                "pid": os.getpid(),
            }
            path = out_dir.rstrip("/") + "_summary.json"
        with open(path, "w") as f:
            json.dump(summary, f)


if __name__ == "__main__":
    main()
