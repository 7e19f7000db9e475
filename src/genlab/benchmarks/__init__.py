"""The benchmarks behind the README's tables, one module each, all listed in registry.py (`genlab bench NAME`).

    registry.py        name -> "module:function" and a one-line description, imported only when run
    runs.py            train_or_reuse: the one way a benchmark gets a run (reuse finished, resume interrupted)
    settings.py        the training settings benchmarks share (per family, per dataset)
    checks.py          the argument checks every benchmark makes before any work
    likelihood.py, families.py, semisupervised.py, compression.py    the benchmarks themselves

Each benchmark writes a markdown page (tables through genlab.tables.Table) and its pictures into OUT, and its
runs into OUT/runs; it prints nothing (the CLI prints the page).
"""
