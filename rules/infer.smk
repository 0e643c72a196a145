# Accuracy run (every sample, outputs kept) and performance run (timed, nothing kept)
# are separate jobs. The in-process session rules (named onnxruntime) serve cpu, cuda,
# tensorrt and openvino, each through the session the backend registry gives its chip
# (ONNX Runtime, or OpenVINO for openvino), and Ascend chips with ascend.runtime ort-cann;
# the ais_bench rules serve Ascend chips on their .om.


rule infer_onnxruntime:
    input:
        onnx="results/{model}/onnx/{model}_bs{bs}.onnx",
        inputs="results/{model}/inputs",
    output:
        outputs=directory("results/{model}/outputs/{chip}/bs{bs}"),
        summary="results/{model}/outputs/{chip}/bs{bs}_summary.json",
    log:
        "results/logs/infer/{model}_{chip}_bs{bs}.log",
    benchmark:
        "results/benchmarks/infer/{model}_{chip}_bs{bs}.tsv"
    wildcard_constraints:
        chip=ort_chip_regex(),
    conda:
        ort_env
    threads: 2
    resources:
        npu=npu_count,
        gpu=gpu_count,
    params:
        provider_options=provider_options,
    script:
        "../scripts/infer.py"


rule perf_onnxruntime:
    input:
        onnx="results/{model}/onnx/{model}_bs{bs}.onnx",
        inputs="results/{model}/inputs",
        after=run_after("results/{model}/perf/{chip}/bs{bs}.json"),
    output:
        "results/{model}/perf/{chip}/bs{bs}.json",
    log:
        "results/logs/perf/{model}_{chip}_bs{bs}.log",
    wildcard_constraints:
        chip=ort_chip_regex(),
    conda:
        ort_env
    threads: perf_threads()
    resources:
        bench=bench_units,
        npu=npu_count,
        gpu=gpu_count,
    params:
        bench=config["perf"],
        provider_options=provider_options,
    script:
        "../scripts/perf.py"


rule infer_ais_bench:
    input:
        om="results/{model}/om/{model}_bs{bs}_{chip}.om",
        inputs="results/{model}/inputs",
    output:
        outputs=directory("results/{model}/outputs/{chip}/bs{bs}"),
        summary="results/{model}/outputs/{chip}/bs{bs}_summary.json",
    log:
        "results/logs/infer/{model}_{chip}_bs{bs}.log",
    wildcard_constraints:
        chip=ais_chip_regex(),
    conda:
        "../envs/ascend.yaml"
    resources:
        npu=1,
    params:
        setup=cann_setup_ais,
        raw=ais_raw,
        ais_bench=ais_infer_shell,
        collect=ais_collect_shell,
    shell:
        "{{ {params.setup}}} 2> {log}; rm -rf {params.raw} {params.raw}_summary.json; "
        "{params.ais_bench} > {log} 2>&1 || {{ rm -rf {params.raw} {params.raw}_summary.json; exit 1; }}; "
        "{params.collect} >> {log} 2>&1"


# The timed run is calibrated: a probe run (ascend.probe_loop executions) gives the mean
# NPU_compute_time, from which perf_ais.py --calibrate prints the timed run's --loop.
rule perf_ais_bench:
    input:
        om="results/{model}/om/{model}_bs{bs}_{chip}.om",
        after=run_after("results/{model}/perf/{chip}/bs{bs}.json"),
    output:
        "results/{model}/perf/{chip}/bs{bs}.json",
    log:
        "results/logs/perf/{model}_{chip}_bs{bs}.log",
    wildcard_constraints:
        chip=ais_chip_regex(),
    conda:
        "../envs/ascend.yaml"
    resources:
        bench=bench_units,
        npu=1,
    params:
        setup=cann_setup_ais,
        probe=ais_probe_raw,
        raw=ais_perf_raw,
        probe_run=ais_probe_shell,
        calibrate=ais_calibrate_shell,
        ais_bench=ais_perf_shell,
        collect=ais_perf_collect_shell,
    shell:
        "{{ {params.setup}}} 2> {log}; "
        "rm -rf {params.probe} {params.probe}_summary.json {params.raw} {params.raw}_summary.json; "
        "{{ {params.probe_run} && loop=$({params.calibrate}) && {params.ais_bench}; }} > {log} 2>&1 "
        "|| {{ rm -rf {params.probe} {params.probe}_summary.json {params.raw} {params.raw}_summary.json; exit 1; }}; "
        "{params.collect} >> {log} 2>&1"
