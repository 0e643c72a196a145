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
    threads: 2
    params:
        batch=config["accuracy"]["reference_batch"],
    script:
        "../scripts/reference.py"
