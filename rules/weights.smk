rule weights:
    input:
        configured_weights,
    output:
        weights="resources/weights/{model}.pth",
        info="resources/weights/{model}.json",
    log:
        "results/logs/weights/{model}.log",
    conda:
        "../envs/torch.yaml"
    params:
        path=weights_path,
        sha256=weights_sha256,
        seed=config["seed"],
        architecture=demo_architecture,
    script:
        "../scripts/weights.py"
