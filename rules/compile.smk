# ATC: simplified ONNX at a fixed batch -> Ascend .om for one SoC (Ascend chips served
# by ais_bench). ATC appends ".om" to --output itself (newer CANN may add _<os>_<arch>),
# so it writes next to the target under a temporary prefix, renamed when done.


rule compile_atc:
    input:
        onnx="results/{model}/onnx/{model}_bs{bs}.onnx",
    output:
        "results/{model}/om/{model}_bs{bs}_{chip}.om",
    log:
        "results/logs/compile/{model}_bs{bs}_{chip}.log",
    wildcard_constraints:
        chip=ais_chip_regex(),
    conda:
        "../envs/ascend.yaml"
    resources:
        npu=0,
    params:
        setup=cann_setup_atc,
        keep_dtype=keep_dtype_shell,
        atc=atc_shell,
        prefix=atc_prefix,
    shell:
        "{params.setup}{params.keep_dtype}{params.atc} > {log} 2>&1 && "
        'mv "$(ls {params.prefix}*.om | head -n 1)" {output}'
