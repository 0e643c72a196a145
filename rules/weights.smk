get_configured_weights = bind(inputs.configured_weights)


rule weights:
    input:
        get_configured_weights,
        code=code("prepare-weights.py"),
    output:
        weights="resources/weights/{model}.pth",
        info="resources/weights/{model}.json",
    log:
        "results/logs/weights/{model}.log",
    wildcard_constraints:
        model=NETWORK_MODELS,
    conda:
        "../envs/torch.yaml"
    params:
        path=lookup(dpath="weights/{model}/path", within=config, default=""),
        sha256=lookup(dpath="weights/{model}/sha256", within=config, default=""),
        seed=config["seed"],
        architecture=lookup(
            dpath="demo_architecture/{model}", within=config, default={}
        ),
    script:
        "../scripts/prepare-weights.py"
