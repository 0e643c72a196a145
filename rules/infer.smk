# Accuracy run (every sample, outputs kept) and performance run (timed, nothing kept)
# are separate jobs. These rules serve the ONNX Runtime chips.


rule infer_onnxruntime:
    input:
        onnx="results/{model}/onnx/{model}_bs{bs}.onnx",
        inputs="results/{model}/inputs",
    output:
        outputs=directory("results/{model}/outputs/{chip}/bs{bs}"),
        summary="results/{model}/outputs/{chip}/bs{bs}_summary.json",
    log:
        "results/logs/infer/{model}_{chip}_bs{bs}.log",
    benchmark:
        "results/benchmarks/infer/{model}_{chip}_bs{bs}.tsv"
    conda:
        "../envs/onnxruntime.yaml"
    threads: 2
    script:
        "../scripts/infer.py"


rule perf_onnxruntime:
    input:
        onnx="results/{model}/onnx/{model}_bs{bs}.onnx",
        inputs="results/{model}/inputs",
    output:
        "results/{model}/perf/{chip}/bs{bs}.json",
    log:
        "results/logs/perf/{model}_{chip}_bs{bs}.log",
    conda:
        "../envs/onnxruntime.yaml"
    threads: perf_threads()
    resources:
        bench=1,
    params:
        bench=config["perf"],
    script:
        "../scripts/perf.py"
