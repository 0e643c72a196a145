"""Every file a run is made of, for one validated config: the target lists of the tables, the README and
the plots (pure functions of the config; rules/common.smk binds them)."""

from __future__ import annotations

from ganinfer import backends, registry
from ganinfer.workflow import settings


class Targets:
    def __init__(self, config: dict):
        self.config = config

    def combos(self):
        """(model, chip, batch size) of every run."""
        for model in self.config["models"]:
            for chip in self.config["chips"]:
                for bs in settings.batch_sizes(self.config, model):
                    yield model, chip, bs

    def perf_files(self) -> list[str]:
        return [f"results/{m}/perf/{c}/bs{b}.json" for m, c, b in self.combos()]

    def round_files(self, model: str, chip: str, bs) -> list[str]:
        """The timed records of one row's rounds (config ``rounds``), in round order."""
        return [f"results/{model}/perf/{chip}/bs{bs}/round{r}.json" for r in range(1, self.config["rounds"] + 1)]

    def accuracy_files(self) -> list[str]:
        return [f"results/{m}/accuracy/{c}/bs{b}.json" for m, c, b in self.combos()]

    def grid_files(self) -> list[str]:
        """The image grids: of every model whose outputs are images (postprocess other than none)."""
        return [
            f"results/{m}/images/{c}/bs{b}_grid.png"
            for m, c, b in self.combos()
            if registry.get(m).postprocess != "none"
        ]

    def png_dirs(self) -> list[str]:
        """Per-sample PNG folders (images.pngs)."""
        return [
            f"results/{m}/images/{c}/bs{b}"
            for m in self.config["models"]
            for c in self.config["chips"]
            for b in settings.png_batch_sizes(self.config, m)
        ]

    def weights_info_files(self) -> list[str]:
        return [f"resources/weights/{m}.json" for m in self.config["models"]]

    def macs_files(self) -> list[str]:
        return [f"results/{m}/onnx/{m}_macs.json" for m in self.config["models"]]

    def peak_chips(self) -> list[str]:
        """Chips with a measured GEMM peak: the in-process ones (none on ais_bench chips)."""
        runtime = self.config["ascend"]["runtime"]
        return [c for c in self.config["chips"] if backends.classify(c, runtime).runner == "session"]

    def gemm_peak_files(self) -> list[str]:
        return [f"results/roofline/gemm_{c}.json" for c in self.peak_chips()]

    def quality_sources(self, model: str) -> list[str]:
        """pth (the PyTorch reference) and every chip's outputs at the model's smallest batch size."""
        bs = settings.smallest_bs(self.config, model)
        return ["pth", *(f"{c}_bs{bs}" for c in self.config["chips"])]

    def quality_files(self) -> list[str]:
        """One record per source of each configured model whose registry entry has a quality kind."""
        models = [m for m in self.config["models"] if registry.get(m).quality]
        return [f"results/{m}/quality/{s}.json" for m in models for s in self.quality_sources(m)]

    def tables(self) -> dict[str, list[str]]:
        """Every input of the tables, by name: the timed records and the untimed ones."""
        return {
            "perf": self.perf_files(),
            "gemm": self.gemm_peak_files(),
            "accuracy": self.accuracy_files(),
            "quality": self.quality_files(),
            "weights": self.weights_info_files(),
            "grids": self.grid_files(),
            "pngs": self.png_dirs(),
            "macs": self.macs_files(),
        }
