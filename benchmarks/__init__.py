"""tfbsl's benchmark scripts, run from the repository root as modules.

    python -m benchmarks.dense_speed --quick
    python -m benchmarks.conv_speed
    python -m benchmarks.uci --quick
    python -m benchmarks.flows_2d
    python -m benchmarks.vae_digits
    python -m benchmarks.digits_uncertainty

`benchmarks/README.md` says what each measures, how long it takes and where its
results go (`benchmarks/results/<name>.json` and `.csv`). `benchmarks._common`
holds the shared timing and result-file helpers, `benchmarks.published` the
published and computed reference figures the scripts print beside their own.
This package is not installed with tfbsl (`setup.cfg` ships `tfbsl` only).
"""
