get_simplify_input = bind(inputs.simplify_input)
get_declared_onnx = bind(inputs.declared_onnx)


rule export_onnx:
    input:
        weights="resources/weights/{model}.pth",
        code=code("export-onnx.py"),
    output:
        "results/{model}/onnx/{model}.onnx",
    log:
        "results/logs/export/{model}.log",
    benchmark:
        "results/benchmarks/export/{model}.tsv"
    wildcard_constraints:
        model=NETWORK_MODELS,
    conda:
        "../envs/torch.yaml"
    script:
        "../scripts/export-onnx.py"


# models whose guide exports one graph per batch size (no dynamic batch axis)
rule export_onnx_fixed:
    input:
        weights="resources/weights/{model}.pth",
        code=code("export-onnx.py"),
    output:
        "results/{model}/export/{model}_bs{bs}.onnx",
    log:
        "results/logs/export/{model}_bs{bs}.log",
    benchmark:
        "results/benchmarks/export/{model}_bs{bs}.tsv"
    wildcard_constraints:
        model=NETWORK_MODELS,
    conda:
        "../envs/torch.yaml"
    script:
        "../scripts/export-onnx.py"


# models declared in the config (onnx_models): the user's graph, its batch axis made symbolic,
# and its record in place of a checkpoint's
rule import_onnx:
    input:
        unpack(get_declared_onnx),
        code=code("import-onnx.py"),
    output:
        onnx="results/{model}/onnx/{model}.onnx",
        info="resources/weights/{model}.json",
    log:
        "results/logs/export/{model}.log",
    wildcard_constraints:
        model=ONNX_MODELS,
    conda:
        "../envs/onnx.yaml"
    script:
        "../scripts/import-onnx.py"


rule simplify_onnx:
    input:
        unpack(get_simplify_input),
        code=code("simplify-onnx.py"),
    output:
        "results/{model}/onnx/{model}_bs{bs}.onnx",
    log:
        "results/logs/simplify/{model}_bs{bs}.log",
    conda:
        "../envs/onnx.yaml"
    script:
        "../scripts/simplify-onnx.py"
