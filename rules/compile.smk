# ATC: simplified ONNX at a fixed batch -> Ascend .om for one SoC (Ascend chips served
# by ais_bench). CANN's set_env.sh is sourced first; a missing atc is one line in the log.
# ATC appends ".om" to --output itself (newer CANN writes <output>_<os>_<arch>.om), so it
# writes next to the target under a temporary prefix; the one .om it wrote is renamed to
# the target. The --keep_dtype file: the model's list, written here (ascend.keep_dtype:
# registry), or the keep-list search's (auto: rules/precision.smk), passed when it names
# any operator. `snakemake -n -p` prints the command.

from ganinfer.backends import ascend


rule compile_atc:
    input:
        onnx="results/{model}/onnx/{model}_bs{bs}.onnx",
        keep_dtype=lambda wildcards: backends.keep_dtype_options(
            config, wildcards.model
        ).get("keep_dtype_file", []),
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
        set_env=config["ascend"]["set_env"],
        not_found=ascend.not_found("atc", config["ascend"]["set_env"]),
        prefix=lambda wildcards, output: f"{output[0].removesuffix('.om')}.atc",
        input_shape=lambda wildcards: ascend.input_shape(
            registry.get(wildcards.model), int(wildcards.bs)
        ),
        input_format=lambda wildcards: ascend.option(
            "input_format", registry.get(wildcards.model).atc.input_format
        ),
        out_nodes=lambda wildcards: ascend.option(
            "out_nodes", registry.get(wildcards.model).atc.out_nodes
        ),
        keep_dtype_ops=lambda wildcards: backends.keep_dtype_options(
            config, wildcards.model
        ).get("keep_dtype", []),
        keep_dtype_file="results/{model}/om/{model}_keep_dtype.cfg",
        precision_mode=ascend.option(
            "precision_mode", config["ascend"]["precision_mode"]
        ),
    shell:
        r"""
        if [ -f {params.set_env:q} ]; then
            set +u
            . {params.set_env:q}
            set -u
        fi 2>{log}
        command -v atc >/dev/null 2>&1 || {{ echo {params.not_found:q} >>{log}; exit 127; }}
        rm -f {params.prefix}*.om
        keep=
        set -- {params.keep_dtype_ops:q}
        if [ "$#" -gt 0 ]; then
            printf '%s\n' "$@" >{params.keep_dtype_file}
            keep=--keep_dtype={params.keep_dtype_file}
        elif [ -s "{input.keep_dtype}" ]; then
            keep=--keep_dtype={input.keep_dtype}
        fi
        atc \
            --framework=5 \
            --model={input.onnx} \
            --output={params.prefix} \
            --input_shape={params.input_shape:q} \
            --soc_version={wildcards.chip} \
            --log=error \
            {params.input_format} \
            {params.out_nodes} \
            $keep \
            {params.precision_mode} \
            >{log} 2>&1
        set -- {params.prefix}*.om
        if [ "$#" -ne 1 ] || [ ! -f "$1" ]; then
            echo "error: atc reported success but did not write exactly one {params.prefix}.om or {params.prefix}_<os>_<arch>.om; see the ATC output above (found: $*)" >>{log}
            rm -f {params.prefix}*.om
            exit 1
        fi
        mv "$1" {output} 2>>{log}
        """
