get_preprocess_input = bind(inputs.preprocess_input)


rule preprocess:
    input:
        unpack(get_preprocess_input),
        code=code("prepare-inputs.py"),
    output:
        directory("results/{model}/inputs"),
    log:
        "results/logs/preprocess/{model}.log",
    conda:
        "../envs/torch.yaml"
    params:
        samples=lambda wildcards: settings.sample_count(config, wildcards.model),
        seed=config["seed"],
        dataset=lookup(dpath="datasets/{model}", within=config, default=""),
    script:
        "../scripts/prepare-inputs.py"
