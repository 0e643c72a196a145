"""The report: result tables, plots and the README's generated sections, from one column spec.

- ``columns``: every column of perf.csv, accuracy.csv, quality.csv and compare.csv (name, source, format,
  description), declared once;
- ``frames``: records to DataFrames (numbers stay numbers) and CSV files (formatted as they are written);
- ``markdown``: the one pipe-table writer; ``tables``: the README's tables; ``compare``: two runs compared;
- ``plotlist``: the plots of a run and their report flags (read while the DAG is built: no pandas, no
  matplotlib); ``plots``: drawing them; ``readme``: the README's sections and the files it shows.

Importing the package imports nothing.
"""
