# Accuracy run (every sample) and performance run (timed, nothing kept) are separate jobs.
# The accuracy run's per-sample outputs are temp(): deleted once accuracy, images, pngs and quality
# have read them (Snakemake's --notemp keeps them); its summary stays. It starts once its model's
# reference exists (an input it does not read), so no output folder waits on disk for the slow
# reference: at most one per running inference job. A rebuilt reference reruns it: the accuracy
# would need the deleted outputs again anyway (ancient() would not do: Snakemake then also ignores
# the job's own newer code inputs). The in-process session rules (named onnxruntime) serve cpu, cpu-fp16,
# cuda, tensorrt and openvino, each through the session the backend registry gives its chip
# (ONNX Runtime, its fp16 emulation for cpu-fp16, or OpenVINO for openvino), and Ascend chips
# with ascend.runtime ort-cann;
# the ais_bench rules serve Ascend chips on their .om (`snakemake -n -p` prints their commands):
# CANN's set_env.sh is sourced first (a missing ais_bench is one line in the log); ais_bench's own
# folders are removed by the scripts that read them (collect-ais-outputs.py, time-ais-bench.py), or by the trap
# when a command fails.

from ganinfer.backends import ascend

get_session_inputs = bind(inputs.session_inputs)


get_round_files = lambda wildcards: TARGETS.round_files(
    wildcards.model, wildcards.chip, wildcards.bs
)


rule infer_onnxruntime:
    input:
        unpack(get_session_inputs),
        onnx="results/{model}/onnx/{model}_bs{bs}.onnx",
        inputs="results/{model}/inputs",
        reference="results/{model}/reference",
        code=code("run-inference.py"),
    output:
        outputs=temp(directory("results/{model}/outputs/{chip}/bs{bs}")),
        summary="results/{model}/outputs/{chip}/bs{bs}_summary.json",
    log:
        "results/logs/infer/{model}_{chip}_bs{bs}.log",
    benchmark:
        "results/benchmarks/infer/{model}_{chip}_bs{bs}.tsv"
    wildcard_constraints:
        chip=SESSION_CHIPS,
    conda:
        get_chip_env
    threads: 2
    resources:
        npu=get_npu_count,
        gpu=get_gpu_count,
    params:
        provider_options=get_session_options,
    script:
        "../scripts/run-inference.py"


rule perf_onnxruntime:
    input:
        unpack(get_session_inputs),
        onnx="results/{model}/onnx/{model}_bs{bs}.onnx",
        inputs="results/{model}/inputs",
        code=code("time-inference.py"),
    output:
        "results/{model}/perf/{chip}/bs{bs}/round{round}.json",
    log:
        "results/logs/perf/{model}_{chip}_bs{bs}_round{round}.log",
    wildcard_constraints:
        chip=SESSION_CHIPS,
    priority: round_priority
    conda:
        get_chip_env
    threads: perf_threads()
    resources:
        bench=get_bench_units,
        npu=get_npu_count,
        gpu=get_gpu_count,
    params:
        bench=config["perf"],
        provider_options=get_session_options,
    script:
        "../scripts/time-inference.py"


rule infer_ais_bench:
    input:
        om="results/{model}/om/{model}_bs{bs}_{chip}.om",
        inputs="results/{model}/inputs",
        reference="results/{model}/reference",
    output:
        outputs=temp(directory("results/{model}/outputs/{chip}/bs{bs}")),
        summary="results/{model}/outputs/{chip}/bs{bs}_summary.json",
    log:
        "results/logs/infer/{model}_{chip}_bs{bs}.log",
    wildcard_constraints:
        chip=AIS_CHIPS,
    conda:
        "../envs/ascend.yaml"
    resources:
        npu=1,
    params:
        set_env=config["ascend"]["set_env"],
        not_found=ascend.not_found("ais_bench", config["ascend"]["set_env"]),
        # ais_bench writes the run's folder <ais>/<run> and <ais>/<run>_summary.json
        ais="results/{model}/ais/{chip}",
        run="bs{bs}",
        input_folders=lambda wildcards, input: ",".join(
            f"{input.inputs}/{t.name}" for t in registry.get(wildcards.model).inputs
        ),
        device=config["ascend"]["device"],
        configfile=lambda wildcards: ascend.configfile_option(wildcards.model),
        collect_ais=os.path.join(workflow.basedir, "scripts", "collect-ais-outputs.py"),
    shell:
        r"""
        if [ -f {params.set_env:q} ]; then
            set +u
            . {params.set_env:q}
            set -u
        fi 2>{log}
        python3 -c 'import ais_bench' >/dev/null 2>&1 || {{ echo {params.not_found:q} >>{log}; exit 127; }}
        rm -rf {params.ais}/{params.run} {params.ais}/{params.run}_summary.json
        trap 'rm -rf {params.ais}/{params.run} {params.ais}/{params.run}_summary.json' ERR
        python3 -m ais_bench \
            --model {input.om} \
            --input {params.input_folders} \
            --output {params.ais} \
            --output_dirname {params.run} \
            --outfmt BIN \
            --batchsize {wildcards.bs} \
            --device {params.device} \
            >{log} 2>&1
        python3 {params.collect_ais} \
            --model {wildcards.model} \
            --chip {wildcards.chip} \
            --bs {wildcards.bs} \
            {params.configfile} \
            --raw {params.ais}/{params.run} \
            --inputs {input.inputs} \
            --out {output.outputs} \
            --summary {output.summary} \
            >>{log} 2>&1
        """


# The timed run is calibrated: a probe run (ascend.probe_loop executions) gives the mean
# NPU_compute_time, from which time-ais-bench.py --calibrate prints the timed run's --loop.
rule perf_ais_bench:
    input:
        om="results/{model}/om/{model}_bs{bs}_{chip}.om",
    output:
        "results/{model}/perf/{chip}/bs{bs}/round{round}.json",
    log:
        "results/logs/perf/{model}_{chip}_bs{bs}_round{round}.log",
    wildcard_constraints:
        chip=AIS_CHIPS,
    priority: round_priority
    conda:
        "../envs/ascend.yaml"
    resources:
        bench=get_bench_units,
        npu=1,
    params:
        set_env=config["ascend"]["set_env"],
        not_found=ascend.not_found("ais_bench", config["ascend"]["set_env"]),
        # ais_bench writes each run's folder <ais>/<run> and <ais>/<run>_summary.json
        ais="results/{model}/ais/{chip}",
        probe="probe_bs{bs}_round{round}",
        timed="perf_bs{bs}_round{round}",
        probe_loop=config["ascend"]["probe_loop"],
        warmup_count=config["ascend"]["warmup_count"],
        device=config["ascend"]["device"],
        perf=config["perf"],
        configfile=lambda wildcards: ascend.configfile_option(wildcards.model),
        perf_ais=os.path.join(workflow.basedir, "scripts", "time-ais-bench.py"),
    shell:
        r"""
        if [ -f {params.set_env:q} ]; then
            set +u
            . {params.set_env:q}
            set -u
        fi 2>{log}
        python3 -c 'import ais_bench' >/dev/null 2>&1 || {{ echo {params.not_found:q} >>{log}; exit 127; }}
        rm -rf {params.ais}/{params.probe} {params.ais}/{params.probe}_summary.json {params.ais}/{params.timed} {params.ais}/{params.timed}_summary.json
        trap 'rm -rf {params.ais}/{params.probe} {params.ais}/{params.probe}_summary.json {params.ais}/{params.timed} {params.ais}/{params.timed}_summary.json' ERR
        python3 -m ais_bench \
            --model {input.om} \
            --output {params.ais} \
            --output_dirname {params.probe} \
            --outfmt BIN \
            --batchsize {wildcards.bs} \
            --loop {params.probe_loop} \
            --warmup_count {params.warmup_count} \
            --display_all_summary 1 \
            --device {params.device} \
            >{log} 2>&1
        loop=$(python3 {params.perf_ais} \
            --model {wildcards.model} \
            --chip {wildcards.chip} \
            --bs {wildcards.bs} \
            {params.configfile} \
            --probe {params.ais}/{params.probe} \
            --calibrate \
            --warmup {params.perf[warmup]} \
            --warmup-seconds {params.perf[warmup_seconds]} \
            --min-iterations {params.perf[min_iterations]} \
            --min-seconds {params.perf[min_seconds]} \
            --max-seconds {params.perf[max_seconds]} \
            --max-cov {params.perf[max_cov]} \
            2>>{log})
        python3 -m ais_bench \
            --model {input.om} \
            --output {params.ais} \
            --output_dirname {params.timed} \
            --outfmt BIN \
            --batchsize {wildcards.bs} \
            --loop "$loop" \
            --warmup_count {params.warmup_count} \
            --display_all_summary 1 \
            --device {params.device} \
            >>{log} 2>&1
        python3 {params.perf_ais} \
            --model {wildcards.model} \
            --chip {wildcards.chip} \
            --bs {wildcards.bs} \
            {params.configfile} \
            --probe {params.ais}/{params.probe} \
            --raw {params.ais}/{params.timed} \
            --loop "$loop" \
            --warmup-count {params.warmup_count} \
            --out {output} \
            --warmup {params.perf[warmup]} \
            --warmup-seconds {params.perf[warmup_seconds]} \
            --min-iterations {params.perf[min_iterations]} \
            --min-seconds {params.perf[min_seconds]} \
            --max-seconds {params.perf[max_seconds]} \
            --max-cov {params.perf[max_cov]} \
            >>{log} 2>&1
        """


# A perf row from its rounds (each a timed job of its own, interleaved with every other row's rounds):
# mean throughput with its 95 % interval, pooled latencies (ganinfer.rounds). Cheap: never submitted,
# and after every timed job (the lowest priority), so their start-ups overlap instead of each delaying
# the next timed round.
localrules:
    perf_rounds,


rule perf_rounds:
    input:
        rounds=get_round_files,
        code=code("merge-rounds.py"),
    output:
        "results/{model}/perf/{chip}/bs{bs}.json",
    log:
        "results/logs/perf/{model}_{chip}_bs{bs}.log",
    priority: AFTER_TIMED_PRIORITY
    conda:
        "../envs/report.yaml"
    script:
        "../scripts/merge-rounds.py"
