rule accuracy:
    input:
        outputs="results/{model}/outputs/{chip}/bs{bs}",
        summary="results/{model}/outputs/{chip}/bs{bs}_summary.json",
        reference="results/{model}/reference",
    output:
        "results/{model}/accuracy/{chip}/bs{bs}.json",
    log:
        "results/logs/accuracy/{model}_{chip}_bs{bs}.log",
    conda:
        "../envs/report.yaml"
    params:
        threshold=config["accuracy"]["threshold"],
    script:
        "../scripts/accuracy.py"


rule images:
    input:
        outputs="results/{model}/outputs/{chip}/bs{bs}",
        summary="results/{model}/outputs/{chip}/bs{bs}_summary.json",
        weights_info="resources/weights/{model}.json",
    output:
        images=directory("results/{model}/images/{chip}/bs{bs}"),
        grid=report(
            "results/{model}/images/{chip}/bs{bs}_grid.png",
            caption="../report/grid.rst",
            category="Images",
            subcategory="{model}",
            labels={"model": "{model}", "chip": "{chip}", "batch size": "{bs}"},
        ),
    log:
        "results/logs/images/{model}_{chip}_bs{bs}.log",
    conda:
        "../envs/report.yaml"
    params:
        grid_count=config["images"]["grid_count"],
    script:
        "../scripts/images.py"
