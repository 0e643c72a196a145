# ATC: simplified ONNX at a fixed batch -> Ascend .om for one SoC (Ascend chips served
# by ais_bench). ATC appends ".om" to --output itself (newer CANN writes
# <output>_<os>_<arch>.om), so it writes next to the target under a temporary prefix;
# the one .om it wrote is renamed to the target. A missing atc is one line in the log.
# The --keep_dtype file: the model's list (ascend.keep_dtype: registry), or the keep-list
# search's (auto: rules/precision.smk), passed when it names any operator.
# The command lines: ganinfer.backends.ascend (atc_args, RuleShells); `snakemake -n -p`
# prints them.


rule compile_atc:
    input:
        unpack(ASCEND_SHELLS.keep_dtype_input),
        onnx="results/{model}/onnx/{model}_bs{bs}.onnx",
    output:
        "results/{model}/om/{model}_bs{bs}_{chip}.om",
    log:
        "results/logs/compile/{model}_bs{bs}_{chip}.log",
    wildcard_constraints:
        chip=AIS_CHIPS,
    conda:
        "../envs/ascend.yaml"
    resources:
        npu=0,
    params:
        setup=ASCEND_SHELLS.setup("atc"),
        keep_dtype=ASCEND_SHELLS.keep_dtype,
        atc=ASCEND_SHELLS.atc,
        prefix=ASCEND_SHELLS.atc_prefix,
        take_om=ASCEND_SHELLS.take_om,
    shell:
        "{{ {params.setup}}} 2> {log}; rm -f {params.prefix}*.om; "
        "{params.keep_dtype}{params.atc} > {log} 2>&1 && {{ {params.take_om}}} 2>> {log}"
