# GAN offline inference: weights + seeds -> input .bin -> ONNX -> device model ->
# outputs -> images -> accuracy and performance tables. See README.md.
import os
import sys

from snakemake.utils import min_version

min_version("9.0")
sys.path.insert(0, os.path.join(workflow.basedir, "scripts"))
from ganinfer.workflow.settings import check_yaml

# Snakemake's own message for a YAML mistake names neither the file nor the line
check_yaml("config/config.yaml")


configfile: "config/config.yaml"


report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/weights.smk"
include: "rules/preprocess.smk"
include: "rules/export.smk"
include: "rules/compile.smk"
include: "rules/infer.smk"
include: "rules/roofline.smk"
include: "rules/reference.smk"
include: "rules/evaluate.smk"
include: "rules/precision.smk"
include: "rules/tables.smk"
include: "rules/plots.smk"
include: "rules/plan.smk"


rule all:
    default_target: True
    input:
        "results/tables/perf.csv",
        "results/tables/readme.done",
