rule export_onnx:
    input:
        weights="resources/weights/{model}.pth",
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


rule simplify_onnx:
    input:
        onnx="results/{model}/onnx/{model}.onnx",
    output:
        "results/{model}/onnx/{model}_bs{bs}.onnx",
    log:
        "results/logs/simplify/{model}_bs{bs}.log",
    conda:
        "../envs/onnx.yaml"
    script:
        "../scripts/simplify.py"
