rule reference:
    input:
        weights="resources/weights/{model}.pth",
        inputs="results/{model}/inputs",
        code=code("reference.py"),
    output:
        directory("results/{model}/reference"),
    log:
        "results/logs/reference/{model}.log",
    benchmark:
        "results/benchmarks/reference/{model}.tsv"
    conda:
        "../envs/torch.yaml"
    # the accuracy runs' threads (infer_onnxruntime): untimed, so it need not claim every core as the
    # perf jobs do (perf_threads()), and runs beside the chips' accuracy runs; reference.py uses them
    threads: 2
    params:
        batch=config["accuracy"]["reference_batch"],
    script:
        "../scripts/reference.py"
