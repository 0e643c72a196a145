rule export_onnx:
    input:
        weights="resources/weights/{model}.pth",
        code=code("export.py"),
    output:
        "results/{model}/onnx/{model}.onnx",
    log:
        "results/logs/export/{model}.log",
    benchmark:
        "results/benchmarks/export/{model}.tsv"
    conda:
        "../envs/torch.yaml"
    script:
        "../scripts/export.py"


# models whose guide exports one graph per batch size (no dynamic batch axis)
rule export_onnx_fixed:
    input:
        weights="resources/weights/{model}.pth",
        code=code("export.py"),
    output:
        "results/{model}/export/{model}_bs{bs}.onnx",
    log:
        "results/logs/export/{model}_bs{bs}.log",
    benchmark:
        "results/benchmarks/export/{model}_bs{bs}.tsv"
    conda:
        "../envs/torch.yaml"
    script:
        "../scripts/export.py"


rule simplify_onnx:
    input:
        unpack(simplify_input),
        code=code("simplify.py"),
    output:
        "results/{model}/onnx/{model}_bs{bs}.onnx",
    log:
        "results/logs/simplify/{model}_bs{bs}.log",
    conda:
        "../envs/onnx.yaml"
    script:
        "../scripts/simplify.py"
