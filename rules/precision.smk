# The keep-list search: the op types (with ascend.keep_dtype_nodes, node names) that ATC must
# keep in fp32 for the model's fp16 accuracy to pass, found on the fp16 emulation chip
# (cpu-fp16) against the reference, at the model's smallest batch size. Its file is ATC's
# --keep_dtype file when ascend.keep_dtype is auto (rules/compile.smk); search.json holds
# every step (ganinfer.precision).


get_search_onnx = bind(inputs.search_onnx)


rule keep_dtype_search:
    input:
        onnx=get_search_onnx,
        inputs="results/{model}/inputs",
        reference="results/{model}/reference",
        code=code("search-keep-dtype.py", chip=backends.FP16_CHIP),
    output:
        cfg=backends.KEEP_DTYPE_CFG,
        report="results/{model}/precision/search.json",
    log:
        "results/logs/precision/{model}.log",
    benchmark:
        "results/benchmarks/precision/{model}.tsv"
    wildcard_constraints:
        model=names_regex(registry.names()),
    conda:
        "../envs/onnxruntime.yaml"
    threads: 2
    params:
        bs=lambda w: settings.smallest_bs(config, w.model),
        threshold=config["accuracy"]["threshold"],
        nodes=config["ascend"]["keep_dtype_nodes"],
    script:
        "../scripts/search-keep-dtype.py"
