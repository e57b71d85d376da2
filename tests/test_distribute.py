"""tfbsl under `tf.distribute`: one step on two replicas (logical CPU devices)
or two workers (localhost processes) against one step on one device.

Logical devices and `TF_CONFIG` must be set before TensorFlow starts, so the
work runs in subprocesses (tests/_distribute_script.py), each bounded in time.
"""

import json
import os
import socket
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # see setup.cfg: the fast loop leaves it out

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_TIMEOUT_S = 300
_FAMILIES = ("dense_reparameterization", "dense_flipout", "dense_local_reparameterization",
             "conv_flipout", "sampling_vae", "head_independent_normal", "flow_maf")


def _command(mode, out_path):
    return [sys.executable, "-m", "tests._distribute_script", mode, str(out_path)]


def _env(**extra):
    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": "", **extra}


@pytest.fixture(scope="module")
def mirrored(tmp_path_factory):
    out = tmp_path_factory.mktemp("mirrored") / "result.json"
    done = subprocess.run(_command("mirrored", out), cwd=_ROOT, env=_env(),
                          capture_output=True, text=True, timeout=_TIMEOUT_S)
    assert done.returncode == 0, done.stderr[-3000:]
    with open(out) as f:
        return json.load(f)


@pytest.mark.parametrize("family", _FAMILIES)
def test_mirrored_step_matches_one_device(mirrored, family):
    # Keras scales the data loss and every `add_loss` term (the KL) by
    # 1 / replicas and sums the gradients: the objective of one device.
    assert mirrored["num_replicas"] == 2
    result = mirrored["families"][family]
    assert result["loss_replicas"] == pytest.approx(result["loss_one_device"], rel=1e-5)
    assert result["grad_max_diff"] <= 1e-5 * max(1.0, result["grad_max"])


def test_replicas_draw_different_per_example_noise(mirrored):
    equal = mirrored["noise_equal_across_replicas"]
    assert equal["shared"], "a draw without per_example must match across replicas"
    assert not equal["per_example"]
    assert not equal["flipout"]
    assert not equal["sampling"]


def test_model_built_outside_the_scope_fails_instead_of_training(mirrored):
    # Keras raises (a bare AssertionError from the optimizer's distributed
    # update) rather than training replicas on unsynchronised variables.
    assert mirrored["outside_scope"]["raised"] == "AssertionError"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def workers(tmp_path_factory):
    """Two `MultiWorkerMirroredStrategy` workers on localhost; their results."""
    tmp_path = tmp_path_factory.mktemp("workers")
    ports = [_free_port(), _free_port()]
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    processes = []
    try:
        for index in range(2):
            config = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})
            log = open(tmp_path / f"worker{index}.log", "w")
            processes.append((subprocess.Popen(
                _command("worker", tmp_path / f"worker{index}.json"), cwd=_ROOT,
                env=_env(TF_CONFIG=config), stdout=log, stderr=subprocess.STDOUT), log))
        for process, _ in processes:
            process.wait(timeout=_TIMEOUT_S)
    finally:
        for process, log in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
            log.close()
    results = []
    for index, (process, _) in enumerate(processes):
        assert process.returncode == 0, (tmp_path / f"worker{index}.log").read_text()[-3000:]
        with open(tmp_path / f"worker{index}.json") as f:
            results.append(json.load(f))
    return results


@pytest.mark.parametrize("family", _FAMILIES)
def test_multi_worker_fit_matches_one_device(workers, family):
    # With tfbsl.distribute.enable_multi_worker_fit(): every family, plain fit.
    for result in workers:
        step = result["families"][family]
        assert step["loss_replicas"] == pytest.approx(step["loss_one_device"], rel=1e-5)
        assert step["grad_max_diff"] <= 1e-5 * max(1.0, step["grad_max"])


@pytest.mark.parametrize("way", ["custom_loop", "patched_fit"])
def test_multi_worker_step_matches_one_device(workers, way):
    for result in workers:
        step = result[way]
        assert step["loss"] == pytest.approx(step["loss_reference"], rel=1e-5)
        assert step["grad_max_diff"] < 1e-4


def test_multi_worker_fit_needs_the_patch_and_then_evaluates_and_predicts(workers):
    for result in workers:
        # keras-team/keras#20585: without the patch `Model.fit` fails under this
        # strategy; when Keras fixes it, this fails and the README should change.
        assert result["plain_fit"] is not None and "PerReplica" in result["plain_fit"]
        assert result["patched_first_call"] is True
        assert result["patched_second_call"] is False
        # After one step from the same weights, the two-worker model and the
        # one-device reference agree; predictions come back in input order.
        assert result["patched_evaluate"] == pytest.approx(result["reference_evaluate"], rel=1e-4)
        assert result["patched_predict_shape"] == [16, 1]
        assert result["predict_max_diff"] < 1e-4


def test_enable_multi_worker_fit_names_what_a_keras_release_lacks(monkeypatch):
    # Runs in the test process: with a trainer function missing, the patch
    # refuses before changing anything.
    from keras.src.backend.tensorflow import trainer

    import tfbsl

    original = trainer.reduce_per_replica
    monkeypatch.delattr(trainer, "reduce_per_replica")
    with pytest.raises(RuntimeError, match="reduce_per_replica"):
        tfbsl.distribute.enable_multi_worker_fit()
    monkeypatch.undo()
    assert trainer.reduce_per_replica is original
    assert not tfbsl.distribute._PATCHED
