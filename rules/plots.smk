# Performance plots from perf.csv and the perf records: after the tables, before the readme.


localrules:
    plots,


rule plots:
    input:
        table="results/tables/perf.csv",
        records=TARGETS.perf_files(),
        code=code("draw-plots.py"),
    output:
        throughput=plot_outputs("throughput"),
        roofline=plot_outputs("roofline"),
        latency=plot_outputs("latency"),
        md="results/plots/plots.md",
        tsv="results/plots/plots.tsv",
    log:
        "results/logs/plots.log",
    conda:
        "../envs/report.yaml"
    params:
        outdir=lambda w, output: os.path.dirname(output.md),
        models=config["models"],
        chips=config["chips"],
        peak_chips=TARGETS.peak_chips(),
    script:
        "../scripts/draw-plots.py"
