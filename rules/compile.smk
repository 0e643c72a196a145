# ATC: simplified ONNX at a fixed batch -> Ascend .om for one SoC (Ascend chips served
# by ais_bench). ATC appends ".om" to --output itself (newer CANN writes
# <output>_<os>_<arch>.om), so it writes next to the target under a temporary prefix;
# the one .om it wrote is renamed to the target. A missing atc is one line in the log.


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
        take_om=atc_take_om,
    shell:
        "{{ {params.setup}}} 2> {log}; rm -f {params.prefix}*.om; "
        "{params.keep_dtype}{params.atc} > {log} 2>&1 && {{ {params.take_om}}} 2>> {log}"
