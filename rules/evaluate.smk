get_quality_inputs = bind(inputs.quality_inputs)
get_quality_stats_inputs = bind(inputs.quality_stats_inputs)


rule accuracy:
    input:
        outputs="results/{model}/outputs/{chip}/bs{bs}",
        summary="results/{model}/outputs/{chip}/bs{bs}_summary.json",
        reference="results/{model}/reference",
        inputs="results/{model}/inputs",
        code=code("score-accuracy.py"),
    output:
        "results/{model}/accuracy/{chip}/bs{bs}.json",
    log:
        "results/logs/accuracy/{model}_{chip}_bs{bs}.log",
    conda:
        "../envs/report.yaml"
    params:
        threshold=config["accuracy"]["threshold"],
    script:
        "../scripts/score-accuracy.py"


# the grid of a run's first images.grid_count outputs, at every batch size
rule images:
    input:
        outputs="results/{model}/outputs/{chip}/bs{bs}",
        summary="results/{model}/outputs/{chip}/bs{bs}_summary.json",
        weights_info="resources/weights/{model}.json",
        inputs="results/{model}/inputs",
        code=code("draw-grid.py"),
    output:
        grid=report(
            "results/{model}/images/{chip}/bs{bs}_grid.png",
            caption="../report/grid.rst",
            category="Images",
            subcategory="{model}",
            labels={"model": "{model}", "chip": "{chip}", "batch size": "{bs}"},
        ),
    log:
        "results/logs/images/{model}_{chip}_bs{bs}_grid.log",
    conda:
        "../envs/report.yaml"
    params:
        grid_count=config["images"]["grid_count"],
    script:
        "../scripts/draw-grid.py"


# one PNG per sample, of the runs images.pngs names
rule pngs:
    input:
        outputs="results/{model}/outputs/{chip}/bs{bs}",
        summary="results/{model}/outputs/{chip}/bs{bs}_summary.json",
        inputs="results/{model}/inputs",
        code=code("write-pngs.py"),
    output:
        pngs=directory("results/{model}/images/{chip}/bs{bs}"),
    log:
        "results/logs/images/{model}_{chip}_bs{bs}.log",
    conda:
        "../envs/report.yaml"
    threads: 2
    script:
        "../scripts/write-pngs.py"


# IS / FID of one source: pth (the PyTorch reference) or {chip}_bs{bs} (that chip's outputs)
rule quality:
    input:
        unpack(get_quality_inputs),
        code=code("score-quality.py"),
    output:
        "results/{model}/quality/{source}.json",
    log:
        "results/logs/quality/{model}_{source}.log",
    benchmark:
        "results/benchmarks/quality/{model}_{source}.tsv"
    conda:
        "../envs/torch.yaml"
    threads: 2
    params:
        inception=lambda w: settings.quality_weights(config, w.model),
        reference=lambda w: settings.quality_reference(config, w.model),
        splits=config["quality"]["is_splits"],
        batch=config["quality"]["batch"],
    script:
        "../scripts/score-quality.py"


# FID reference statistics of a configured image folder, computed once
rule quality_stats:
    input:
        unpack(get_quality_stats_inputs),
        code=code("compute-fid-stats.py"),
    output:
        "resources/quality/{model}_reference.npz",
    log:
        "results/logs/quality/{model}_reference_stats.log",
    benchmark:
        "results/benchmarks/quality/{model}_reference_stats.tsv"
    conda:
        "../envs/torch.yaml"
    threads: 2
    params:
        inception=lambda w: settings.quality_weights(config, w.model),
        batch=config["quality"]["batch"],
    script:
        "../scripts/compute-fid-stats.py"
