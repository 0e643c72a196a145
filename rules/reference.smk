rule reference:
    input:
        weights="resources/weights/{model}.pth",
        inputs="results/{model}/inputs",
        code=code("run-reference.py"),
    output:
        directory("results/{model}/reference"),
    log:
        "results/logs/reference/{model}.log",
    benchmark:
        "results/benchmarks/reference/{model}.tsv"
    wildcard_constraints:
        model=NETWORK_MODELS,
    priority: REFERENCE_PRIORITY
    conda:
        "../envs/torch.yaml"
    # the accuracy runs' threads (infer_onnxruntime): untimed, so it need not claim every core as the
    # perf jobs do (perf_threads()), and runs beside the chips' accuracy runs; run-reference.py uses them
    threads: 2
    params:
        batch=config["accuracy"]["reference_batch"],
    script:
        "../scripts/run-reference.py"


# a model declared in the config (onnx_models): ONNX Runtime's CPU fp32 run of the original graph,
# graph optimisations off (the chips run the simplified, optimised graph)
rule reference_onnxruntime:
    input:
        onnx="results/{model}/onnx/{model}.onnx",
        inputs="results/{model}/inputs",
        code=code("run-reference-onnx.py"),
    output:
        directory("results/{model}/reference"),
    log:
        "results/logs/reference/{model}.log",
    benchmark:
        "results/benchmarks/reference/{model}.tsv"
    wildcard_constraints:
        model=ONNX_MODELS,
    priority: REFERENCE_PRIORITY
    conda:
        "../envs/onnxruntime.yaml"
    threads: 2
    params:
        batch=config["accuracy"]["reference_batch"],
    script:
        "../scripts/run-reference-onnx.py"
