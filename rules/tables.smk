get_baseline = bind(inputs.baseline)


get_table_inputs = lambda wildcards: TARGETS.tables()


localrules:
    tables,
    readme,
    compare,


rule tables:
    input:
        unpack(get_table_inputs),
        code=code("write-tables.py"),
    output:
        perf_csv=report(
            "results/tables/perf.csv", caption="../report/perf.rst", category="Tables"
        ),
        accuracy_csv=report(
            "results/tables/accuracy.csv",
            caption="../report/accuracy.rst",
            category="Tables",
        ),
        quality_csv=report(
            "results/tables/quality.csv",
            caption="../report/quality.rst",
            category="Tables",
        ),
        perf_md="results/tables/perf.md",
        accuracy_md="results/tables/accuracy.md",
        quality_md="results/tables/quality.md",
        images_md="results/tables/images.md",
        images_tsv="results/tables/images.tsv",
    log:
        "results/logs/tables.log",
    conda:
        "../envs/report.yaml"
    params:
        outdir=lambda w, output: os.path.dirname(output.perf_csv),
        ratios=config["perf_table"]["ratios"],
        check=config["perf_table"]["check"],
    script:
        "../scripts/write-tables.py"


# README.md is edited in place between its markers, never declared as an output
# (a failed job would delete it); the stamp records that the edit ran.
rule readme:
    input:
        perf="results/tables/perf.md",
        accuracy="results/tables/accuracy.md",
        quality="results/tables/quality.md",
        images="results/tables/images.md",
        images_tsv="results/tables/images.tsv",
        grids=TARGETS.grid_files(),
        plots_md="results/plots/plots.md",
        plots_tsv="results/plots/plots.tsv",
        plot_images=[path for kind in plots().values() for _, path in kind],
        code=code("update-readme.py"),
    output:
        stamp="results/tables/readme.done",
    log:
        "results/logs/readme.log",
    conda:
        "../envs/report.yaml"
    params:
        tables=lambda w, input: os.path.dirname(input.perf),
        plots=lambda w, input: os.path.dirname(input.plots_md),
        readme="README.md",
    script:
        "../scripts/update-readme.py"


# This run against a baseline perf.csv (config `baseline`): ratio, interval and verdict per row
rule compare:
    input:
        perf="results/tables/perf.csv",
        baseline=get_baseline,
        code=code("compare-runs.py"),
    output:
        csv="results/tables/compare.csv",
        md="results/tables/compare.md",
    log:
        "results/logs/compare.log",
    conda:
        "../envs/report.yaml"
    params:
        min_effect=config["perf_table"]["min_effect"],
    script:
        "../scripts/compare-runs.py"
