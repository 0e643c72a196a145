# Roofline context for perf.csv: the chip's fp32 GEMM peak (timed like a perf job, so
# it runs alone) and the MACs per image of each model's graph.


rule gemm_peak:
    input:
        after=run_after("results/roofline/gemm_{chip}.json"),
    output:
        "results/roofline/gemm_{chip}.json",
    log:
        "results/logs/roofline/gemm_{chip}.log",
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
        "../scripts/gemm_peak.py"


rule macs:
    input:
        onnx=macs_input,
    output:
        "results/{model}/onnx/{model}_macs.json",
    log:
        "results/logs/roofline/macs_{model}.log",
    conda:
        "../envs/onnx.yaml"
    script:
        "../scripts/macs.py"
