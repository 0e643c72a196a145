rule preprocess:
    input:
        unpack(preprocess_input),
    output:
        directory("results/{model}/inputs"),
    log:
        "results/logs/preprocess/{model}.log",
    conda:
        "../envs/torch.yaml"
    params:
        samples=samples_param,
        seed=config["seed"],
        dataset=dataset_param,
    script:
        "../scripts/preprocess.py"
