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
# the ais_bench rules serve Ascend chips on their .om (command lines:
# ganinfer.backends.ascend.RuleShells; `snakemake -n -p` prints them).


rule infer_onnxruntime:
    input:
        unpack(get_session_inputs),
        onnx="results/{model}/onnx/{model}_bs{bs}.onnx",
        inputs="results/{model}/inputs",
        reference="results/{model}/reference",
        code=code("infer.py"),
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
        "../scripts/infer.py"


rule perf_onnxruntime:
    input:
        unpack(get_session_inputs),
        onnx="results/{model}/onnx/{model}_bs{bs}.onnx",
        inputs="results/{model}/inputs",
        code=code("perf.py"),
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
        "../scripts/perf.py"


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
        setup=ASCEND_SHELLS.setup("ais_bench"),
        raw="results/{model}/ais/{chip}/bs{bs}",
        ais_bench=ASCEND_SHELLS.infer,
        collect=ASCEND_SHELLS.collect,
    shell:
        "{{ {params.setup}}} 2> {log}; rm -rf {params.raw} {params.raw}_summary.json; "
        "{params.ais_bench} > {log} 2>&1 || {{ rm -rf {params.raw} {params.raw}_summary.json; exit 1; }}; "
        "{params.collect} >> {log} 2>&1"


# The timed run is calibrated: a probe run (ascend.probe_loop executions) gives the mean
# NPU_compute_time, from which perf_ais.py --calibrate prints the timed run's --loop.
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
        setup=ASCEND_SHELLS.setup("ais_bench"),
        probe="results/{model}/ais/{chip}/probe_bs{bs}_round{round}",
        raw="results/{model}/ais/{chip}/perf_bs{bs}_round{round}",
        probe_run=ASCEND_SHELLS.probe,
        calibrate=ASCEND_SHELLS.calibrate,
        ais_bench=ASCEND_SHELLS.timed,
        collect=ASCEND_SHELLS.perf_collect,
    shell:
        "{{ {params.setup}}} 2> {log}; "
        "rm -rf {params.probe} {params.probe}_summary.json {params.raw} {params.raw}_summary.json; "
        "{{ {params.probe_run} && loop=$({params.calibrate}) && {params.ais_bench}; }} > {log} 2>&1 "
        "|| {{ rm -rf {params.probe} {params.probe}_summary.json {params.raw} {params.raw}_summary.json; exit 1; }}; "
        "{params.collect} >> {log} 2>&1"


# A perf row from its rounds (each a timed job of its own, interleaved with every other row's rounds):
# mean throughput with its 95 % interval, pooled latencies (ganinfer.rounds). Cheap: never submitted,
# and after every timed job (the lowest priority), so their start-ups overlap instead of each delaying
# the next timed round.
localrules:
    perf_rounds,


rule perf_rounds:
    input:
        rounds=get_round_files,
        code=code("perf_rounds.py"),
    output:
        "results/{model}/perf/{chip}/bs{bs}.json",
    log:
        "results/logs/perf/{model}_{chip}_bs{bs}.log",
    priority: AFTER_TIMED_PRIORITY
    conda:
        "../envs/report.yaml"
    script:
        "../scripts/perf_rounds.py"
