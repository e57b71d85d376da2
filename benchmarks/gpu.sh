#!/usr/bin/env bash
# tfbsl's speed benchmarks on a GPU through Keras' JAX backend, for a machine
# that has JAX with CUDA but no TensorFlow (TFP's JAX substrate needs none).
#
#   bash benchmarks/gpu.sh fetch        # here, with pip's index: wheels into .whl/
#   bash benchmarks/gpu.sh run [OUT]    # there, from the repository root, offline
#
# `fetch` downloads, for CPython 3.12 on x86-64 Linux, what such a machine
# lacks: Keras, TFP and their pure dependencies, and keras-proba (the Keras 3
# peer). TFP 0.25, its last release, breaks with jax >= 0.7
# (tensorflow/probability#2010); a machine with a newer jax needs tfp-nightly,
# which `fetch` takes (`TFP=tensorflow-probability==0.25.0` for jax < 0.7).
# `run` installs them into /tmp/site, prints the versions and devices, and runs
# the dense, conv and flow benchmarks with `--backend jax` at sizes that take a
# few minutes together; the results go to benchmarks/results/*_gpu.{json,csv}
# (flows: flows_2d_jax.*) and are copied to OUT when given.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
case "${1:-}" in
fetch)
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
        --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
        --platform manylinux_2_24_x86_64 --platform manylinux2014_x86_64 -d .whl \
        "${TFP:-tfp-nightly}" keras==3.15.1 namex optree dm-tree gast decorator keras-proba==0.1.0
    ls .whl
    ;;
run)
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl
    export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax PYTHONUNBUFFERED=1
    python3 -c "import jax, keras, tensorflow_probability as tfp, tfbsl; \
print('jax', jax.__version__, jax.devices(), 'keras', keras.__version__, 'tfp', tfp.__version__)"
    python3 -m benchmarks.dense_speed --backend jax --name dense_speed_gpu \
        --widths 512 2048 --batches 256 4096 --rounds 1
    python3 -m benchmarks.conv_speed --backend jax --name conv_speed_gpu --batches 256 2048 \
        --rounds 1
    python3 -m benchmarks.flows_2d --backend jax --epochs 5 --datasets moons
    if [ -n "${2:-}" ]; then cp benchmarks/results/*_gpu.* benchmarks/results/flows_2d_jax.* "$2"; fi
    ;;
*)
    echo "usage: bash benchmarks/gpu.sh fetch | run [OUT]" >&2
    exit 2
    ;;
esac
