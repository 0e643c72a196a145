# What a configuration leaves on disk, before running it: snakemake -j1 results/plan.md
localrules:
    plan,


rule plan:
    input:
        code=code("plan-disk.py"),
    output:
        "results/plan.md",
    log:
        "results/logs/plan.log",
    conda:
        "../envs/report.yaml"
    params:
        # rerun when any of them changes
        settings=lambda w: {
            k: config[k]
            for k in (
                "models",
                "chips",
                "batch_sizes",
                "samples",
                "datasets",
                "images",
            )
        },
    script:
        "../scripts/plan-disk.py"
