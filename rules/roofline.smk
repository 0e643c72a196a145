# Roofline context for perf.csv: the chip's fp32 GEMM peak (timed like a perf job, so
# it runs alone) and the MACs per image of each model's graph.


get_macs_input = bind(inputs.macs_input)


rule gemm_peak:
    input:
        code=code("measure-gemm-peak.py"),
    output:
        "results/roofline/gemm_{chip}.json",
    log:
        "results/logs/roofline/gemm_{chip}.log",
    wildcard_constraints:
        chip=SESSION_CHIPS,
    priority: TIMED_PRIORITY
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
        "../scripts/measure-gemm-peak.py"


rule macs:
    input:
        onnx=get_macs_input,
        code=code("count-macs.py"),
    output:
        "results/{model}/onnx/{model}_macs.json",
    log:
        "results/logs/roofline/macs_{model}.log",
    conda:
        "../envs/onnx.yaml"
    script:
        "../scripts/count-macs.py"
