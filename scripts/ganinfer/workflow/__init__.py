"""The DAG-time layer: what rules/common.smk asks while Snakemake builds the DAG; no job imports it
but `plan`, which counts what a config keeps.

- ``settings``: the config checks (one line naming the key and the fix) and the per-model lookups;
- ``targets``: every file a run is made of (``Targets``), the paths of ``results/``;
- ``inputs``: the logic of the rules' input functions (each takes the config and the job's wildcards);
- ``order``: the priorities that order the jobs (the reference first, timed rounds last, interleaved);
- ``sources``: each job's code inputs; ``tracking``: listings of user folders and declarations;
- ``scheduling``: Snakemake's scheduler woken once a second at most while timed jobs wait.
"""
