"""Test-only simulator of ``python3 -m ais_bench`` (Ascend/tools 2023-06); the model runs on ONNX Runtime.

Each behaviour follows the real tool's source, ``ais-bench_workload/tool/ais_bench/ais_bench/infer/``
(``<file>: <function>`` below), quirks included:

- Options, defaults and their checks: ``__main__.py: get_args`` (``--loop`` a positive int, ``--warmup_count``
  non-negative, ``--debug``/``--display_all_summary``/... booleans, ``--output_dirname`` only with ``--output``).
  Errors are logged as ``[ERROR] <text>`` on stdout (``utils.py``: logging to stdout) and followed by a bare
  ``RuntimeError`` traceback, exit status 1.
- ``--input`` checks: ``io_oprations.py: check_input_parameter``; folders must be as many as the model's inputs
  (``Invalid args. args input dir num:N not equal to model inputs num:M``), and a first entry that is neither a
  file nor a folder is ``Invalid args. <x>  of --input is invalid``.
- Listing a folder: ``utils.py: get_fileslist_from_dir``: names ending ``.bin``/``.BIN``/``.npy``/``.NPY``, a
  plain sort and then ``natural_sort``, whose key lower-cases the text parts (``B2`` sorts with ``b2``; ties keep
  the plain order, upper case first).
- Files per batch: ``io_oprations.py: get_files_count_per_batch``, from input 0 only: the model's input-0 byte
  size divided by the size of input 0's first file (``arg0 tensorsize: T filesize: F not match`` when it does not
  divide); batches = ceil(files of input 0 / files per batch). The other inputs are cut into the same chunks
  (``create_infileslist_from_fileslist``): a shorter input folder fails with an ``IndexError``, a longer one has
  its extra files ignored.
- A short last batch is padded with ``padding_infer_fake_file`` entries (``utils.py: list_split``) that read the
  batch's first file (``get_narray_from_files_list``); a batch of several files must add up to the input's size
  (``ndata size:S not match T``); a single file per batch is checked only by the backend
  (``ModelInferenceProcessor.cpp: CheckInVectorAndFillBaseTensor``: ``Check i:0 name:N in size:S needsize:T not
  match``).
- No ``--input``: one batch of ``pure_infer_data`` (zeros, or random bytes with ``--pure_data_type random``):
  ``__main__.py: main`` and ``io_oprations.py: get_pure_infer_data``; its outputs are ``pure_infer_data_<i>``.
- Warm-up: ``__main__.py: warmup``: ``--warmup_count`` runs on the first batch, then every time list is reset.
- ``--loop``: ``ModelInferenceProcessor.cpp: ModelInference_Inner``/``Execute``: every batch is executed ``loop``
  times back to back and each execution is timed (gettimeofday, float milliseconds: microsecond resolution, float32
  precision); outputs are those of the last execution.
- Saving outputs: ``io_oprations.py: save_tensors_to_file``: each output tensor is split along
  ``--output_batchsize_axis`` into files-per-batch parts; part ``j`` of batch ``index`` is sample
  ``index * files_per_batch + j`` and is named after ITS INPUT-0 FILE: the basename cut at its FIRST dot, then
  ``_<output index>.<outfmt lower-cased>`` (so ``a.b.bin`` and ``a.c.bin`` both write ``a_0.bin``, the second
  overwriting the first). Padding parts are skipped. ``summary.py: add_sample_id_infiles`` /
  ``append_sample_id_outfile`` record per sample id its input files (one per model input) and its output files.
- The summary: ``summary.py: Summary.report``: ``filesinfo`` (sample ids as JSON string keys), ``args`` (argv),
  ``NPU_compute_time``/``H2D_latency``/``D2H_latency`` (min, max, mean, median, ``percentile(99%)``, count; zeros
  when empty), ``throughput`` = 1000 * batchsize / mean NPU_compute_time (0 when the mean is 0),
  ``npu_compute_time_list``, ``pid``; written to ``<output>/<dirname>_summary.json`` beside the output folder
  (the folder is ``--output_dirname`` or ``%Y_%m_%d-%H_%M_%S``); batchsize = ``--batchsize`` or dim 0 of input 0
  (``miscellaneous.py: get_batchsize``). Console lines as ``report`` logs them.

Simulator-only knobs (environment):
- ``AIS_BENCH_SIM_DEVICE_MS``: the device time of one execution in ms; the reported times are then this value
  with a small deterministic jitter (+-1 %) instead of ONNX Runtime's wall time, and the model is computed once
  per batch (the outputs do not depend on the loop). No time is spent waiting.
- ``AIS_BENCH_SIM_COPY_MS``: each H2D (per input per batch) and D2H (per output per batch) copy, default 0.01.
- ``AIS_BENCH_SIM_LAYOUT=old``: the 2022-09 ais_infer layout: ``sumary.json`` (sic) inside the output folder,
  without ``count``, ``npu_compute_time_list`` and ``pid``.
"""

import argparse
import json
import logging
import math
import os
import re
import sys
import time

import numpy as np

logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="[%(levelname)s] %(message)s")
log = logging.getLogger("ais_bench")

PURE = "pure_infer_data"
PADDING = "padding_infer_fake_file"


def die(msg):
    log.error(msg)
    raise RuntimeError()


def positive(value):
    v = int(value)
    if v <= 0:
        raise argparse.ArgumentTypeError(f"{value} is an invalid positive int value")
    return v


def nonnegative(value):
    v = int(value)
    if v < 0:
        raise argparse.ArgumentTypeError(f"{value} is an invalid nonnegative int value")
    return v


def boolean(value):
    if value.lower() in ("yes", "true", "t", "y", "1"):
        return True
    if value.lower() in ("no", "false", "f", "n", "0"):
        return False
    raise argparse.ArgumentTypeError("Boolean value expected true, 1, false, 0 with case insensitive.")


def device(value):
    ids = [int(v) for v in value.split(",")]
    for v in ids:
        if not 0 <= v <= 255:
            raise argparse.ArgumentTypeError(f"device:{value} is invalid. valid value range is [0, 255]")
    return ids if "," in value else ids[0]


def parser():
    p = argparse.ArgumentParser(prog="ais_bench")
    p.add_argument("--model", "-m", required=True)
    p.add_argument("--input", "-i")
    p.add_argument("--output", "-o")
    p.add_argument("--output_dirname")
    p.add_argument("--outfmt", choices=["NPY", "BIN", "TXT"], default="BIN")
    p.add_argument("--loop", "-l", type=positive, default=1)
    p.add_argument("--debug", type=boolean, default=False)
    p.add_argument("--device", "-d", type=device, default=0)
    p.add_argument("--dymBatch", type=int, default=0)
    p.add_argument("--dymHW")
    p.add_argument("--dymDims")
    p.add_argument("--dymShape")
    p.add_argument("--outputSize")
    p.add_argument("--auto_set_dymshape_mode", type=boolean, default=False)
    p.add_argument("--auto_set_dymdims_mode", type=boolean, default=False)
    p.add_argument("--batchsize", type=positive)
    p.add_argument("--pure_data_type", choices=["zero", "random"], default="zero")
    p.add_argument("--profiler", type=boolean, default=False)
    p.add_argument("--dump", type=boolean, default=False)
    p.add_argument("--acl_json_path")
    p.add_argument("--output_batchsize_axis", type=nonnegative, default=0)
    p.add_argument("--run_mode", choices=["array", "files", "tensor", "full"], default="array")
    p.add_argument("--display_all_summary", type=boolean, default=False)
    p.add_argument("--warmup_count", type=nonnegative, default=1)
    p.add_argument("--dymShape_range")
    return p


def natural_sort(paths):
    def key(path):
        return [int(t) if t.isdigit() else t.lower() for t in re.split(r"([0-9]+)", path)]

    return sorted(sorted(paths), key=key)


def list_folder(folder):
    if not os.path.exists(folder):
        die(f"dir:{folder} not exist")
    files = [os.path.join(folder, f) for f in os.listdir(folder) if f.endswith((".npy", ".NPY", ".bin", ".BIN"))]
    if not files:
        die(f"{folder} of input args not find valid file,valid file format:[*.npy *.NPY *.bin *.BIN]")
    return natural_sort(files)


def chunks(files, n):
    for s in range(0, len(files), n):
        part = files[s : s + n]
        yield part + [PADDING] * (n - len(part))


def file_bytes(path):
    if path.lower().endswith(".npy"):
        return np.load(path).tobytes()
    with open(path, "rb") as f:
        return f.read()


def batch_bytes(files, size, pure_type):
    parts = []
    for path in files:
        if path == PURE:
            data = bytes(size) if pure_type == "zero" else np.random.randint(0, 256, size, dtype=np.uint8).tobytes()
        elif path == PADDING:
            data = file_bytes(files[0])
        elif not os.path.exists(path):
            die(f"filepath:{path} not valid")
        else:
            data = file_bytes(path)
        parts.append(data)
    data = b"".join(parts)
    if len(parts) > 1 and len(data) != size:
        die(f"ndata size:{len(data)} not match {size}")
    return data


def batches_from_inputs(inputs_list, ins, sizes):
    if os.path.isfile(inputs_list[0]):
        for k, path in enumerate(inputs_list):
            if not os.path.isfile(os.path.realpath(path)):
                die(f"Invalid input args.--input:{inputs_list} input[{k}]:{path} {path} not exist")
        per = len(inputs_list) // len(ins)
        fileslist = list(chunks(inputs_list, per))
    elif os.path.isdir(inputs_list[0]):
        if len(inputs_list) != len(ins):
            die(f"Invalid args. args input dir num:{len(inputs_list)} not equal to model inputs num:{len(ins)}")
        for path in inputs_list:
            if not os.path.isdir(os.path.realpath(path)):
                die(f"Invalid args. {path} of input args is not a real dir path")
        fileslist = [list_folder(p) for p in inputs_list]
    else:
        die(f"Invalid args. {inputs_list[0]}  of --input is invalid")
    if len(fileslist) != len(ins):
        die(f"fileslist:{len(fileslist)} intensor:{len(ins)} not match")
    filesize = len(file_bytes(fileslist[0][0]))
    if filesize == 0 or sizes[0] % filesize:
        die(f"arg0 tensorsize: {sizes[0]} filesize: {filesize} not match")
    per_batch = sizes[0] // filesize
    runs = math.ceil(len(fileslist[0]) / per_batch)
    log.info(
        f"get filesperbatch files0 size:{filesize} tensor0size:{sizes[0]} filesperbatch:{per_batch} runcount:{runs}"
    )
    split = [list(chunks(files, per_batch)) for files in fileslist]
    return [[split[k][i] for k in range(len(ins))] for i in range(runs)], per_batch


class Device:
    """The simulated NPU: ONNX Runtime computes, the clock is wall time or AIS_BENCH_SIM_DEVICE_MS."""

    def __init__(self, sess, shapes):
        self.sess, self.shapes = sess, shapes
        ms = os.environ.get("AIS_BENCH_SIM_DEVICE_MS")
        self.device_ms = float(ms) if ms else None
        self.copy_ms = float(os.environ.get("AIS_BENCH_SIM_COPY_MS", "0.01"))
        self.rng = np.random.default_rng(0)
        self.times, self.h2d, self.d2h = [], [], []

    @staticmethod
    def clock(ms):
        return float(np.float32(round(ms, 3)))  # gettimeofday microseconds, stored as a C float

    def run(self, raw_inputs, loop):
        feeds = {}
        for k, i in enumerate(self.sess.get_inputs()):
            need = int(np.prod(self.shapes[k])) * 4
            if len(raw_inputs[k]) != need:
                die(f"Check i:{k} name:{i.name} in size:{len(raw_inputs[k])} needsize:{need} not match")
            feeds[i.name] = np.frombuffer(raw_inputs[k], dtype=np.float32).reshape(self.shapes[k])
            self.h2d.append(self.copy_ms)
        outs = None
        for _ in range(loop):
            if self.device_ms is None:
                t0 = time.perf_counter()
                outs = self.sess.run(None, feeds)
                self.times.append(self.clock((time.perf_counter() - t0) * 1000))
            else:
                outs = outs or self.sess.run(None, feeds)
                self.times.append(self.clock(self.device_ms * (1 + self.rng.uniform(-0.01, 0.01))))
        self.d2h.extend([self.copy_ms] * len(outs))
        return outs

    def reset(self):
        self.times, self.h2d, self.d2h = [], [], []


def save(outs, prefix, infiles, fmt, index, axis, filesinfo):
    per_batch = len(infiles[0])
    per_sample = [list(t) for t in zip(*infiles, strict=True)]
    for i, out in enumerate(outs):
        if axis >= out.ndim:
            die(f"error i:{i} ndata.shape:{out.shape} len:{out.ndim} <= output_batchsize_axis:{axis}  is invalid")
        if per_batch != 1 and out.shape[axis] % per_batch:
            die(f"save out files error array shape:{out.shape} files_count_perbatch:{per_batch}")
        parts = np.array_split(out, per_batch, axis)
        for j in range(per_batch):
            if per_sample[j][0] == PADDING:
                continue
            sample = index * per_batch + j
            path = os.path.join(prefix, f"{os.path.basename(per_sample[j][0]).split('.')[0]}_{i}.{fmt.lower()}")
            entry = filesinfo.setdefault(sample, {"infiles": [], "outfiles": []})
            if not entry["infiles"]:
                entry["infiles"] = list(per_sample[j])
            entry["outfiles"].append(path)
            if fmt == "NPY":
                np.save(path, parts[j])
            elif fmt == "TXT":
                flat = parts[j].reshape(-1, parts[j].shape[-1])
                with open(path, "w") as f:
                    for row in flat:
                        f.write(" ".join(f"{v:f}" for v in row) + " \n")
            else:
                parts[j].tofile(path)


def stats(values, old):
    x = np.asarray(values, dtype=np.float64)
    s = {"min": 0.0, "max": 0.0, "mean": 0.0, "median": 0.0, "percentile(99%)": 0.0}
    if x.size:
        s = {
            "min": float(x.min()),
            "max": float(x.max()),
            "mean": float(x.mean()),
            "median": float(np.median(x)),
            "percentile(99%)": float(np.percentile(x, 99)),
        }
    if not old:
        s["count"] = int(x.size)
    return s


def line(name, s):
    return (
        f"{name} (ms): min = {s['min']}, max = {s['max']}, mean = {s['mean']}, median = {s['median']}, "
        f"percentile(99%) = {s['percentile(99%)']}"
    )


def main():
    args = parser().parse_args()
    if args.output is None and args.output_dirname is not None:
        log.error(
            "parameter --output_dirname cann't be used alone. Please use it together with the parameter --output!\n"
        )
        raise RuntimeError("error bad parameters --output_dirname")
    if isinstance(args.device, list):
        die("this simulator runs one device only (ais_bench would start one process per device)")
    import onnxruntime as ort

    try:
        with open(args.model) as f:
            om = json.load(f)
        assert om.get("simulated_om")
    except Exception:
        die(f"{args.model}: not a model file this simulator's atc wrote")
    sess = ort.InferenceSession(om["onnx"], providers=["CPUExecutionProvider"])
    ins = sess.get_inputs()
    shapes = [om["input_shape"].get(i.name) or [d if isinstance(d, int) else 1 for d in i.shape] for i in ins]
    sizes = [int(np.prod(s)) * 4 for s in shapes]
    batchsize = args.batchsize or shapes[0][0]
    log.info(f"try get model batchsize:{batchsize}")

    prefix = None
    if args.output is not None:
        prefix = os.path.join(args.output, args.output_dirname or time.strftime("%Y_%m_%d-%H_%M_%S"))
        os.makedirs(prefix, 0o755, exist_ok=True)
        log.info(f"output path:{prefix}")

    inputs_list = [] if args.input is None else args.input.split(",")
    if not inputs_list:
        batches, per_batch = [[[PURE] for _ in ins]], 1
    else:
        batches, per_batch = batches_from_inputs(inputs_list, ins, sizes)

    dev = Device(sess, shapes)
    first = [batch_bytes(files, sizes[k], args.pure_data_type) for k, files in enumerate(batches[0])]
    for _ in range(args.warmup_count):
        dev.run(first, 1)
    dev.reset()
    log.info(f"warm up {args.warmup_count} done")

    filesinfo = {}
    for index, infiles in enumerate(batches):
        raw = [batch_bytes(files, sizes[k], args.pure_data_type) for k, files in enumerate(infiles)]
        outs = dev.run(raw, args.loop)
        if args.output is not None:
            save(outs, prefix, infiles, args.outfmt, index, args.output_batchsize_axis, filesinfo)

    old = os.environ.get("AIS_BENCH_SIM_LAYOUT") == "old"
    compute, h2d, d2h = stats(dev.times, old), stats(dev.h2d, old), stats(dev.d2h, old)
    throughput = 0 if compute["mean"] == 0 else 1000 * batchsize / compute["mean"]
    log.info("-----------------Performance Summary------------------")
    if args.display_all_summary:
        log.info(line("H2D_latency", h2d))
    log.info(line("NPU_compute_time", compute))
    if args.display_all_summary:
        log.info(line("D2H_latency", d2h))
    log.info(f"throughput 1000*batchsize.mean({batchsize})/NPU_compute_time.mean({compute['mean']}): {throughput}")
    log.info("------------------------------------------------------")
    if prefix is None:
        return
    summary = {"filesinfo": filesinfo, "args": sys.argv}
    summary.update({"NPU_compute_time": compute, "H2D_latency": h2d, "D2H_latency": d2h, "throughput": throughput})
    if old:
        path = os.path.join(prefix, "sumary.json")
    else:
        summary.update({"npu_compute_time_list": dev.times, "pid": os.getpid()})
        path = prefix + "_summary.json"
    with open(path, "w") as f:
        json.dump(summary, f)


if __name__ == "__main__":
    main()
