"""Sweeps: the same results serially, on a local dask cluster and on an existing cluster."""

from __future__ import annotations

import pytest

from initproof import UsageError
from initproof.sweep import describe, sweep
from verify import child_seeds, propagate, sample

GRID = [("tanh", 0.5), ("tanh", 2.0), ("relu", 1.0), ("linear", 1.5)]


def last_layer(task: tuple[str, float], seed: int) -> tuple[float, float]:
    """One grid point: the last layer's variance and gradient variance of a small net."""
    activation, gain = task
    p = propagate(lambda shape, s: gain * sample("lecun_normal", shape, rng=s), activation,
                  depth=3, width=32, batch=8, seed=seed)
    return float(p.var[-1]), float(p.grad_var[-1])


def test_serial_sweep_gives_each_task_its_own_seed_in_order() -> None:
    seen: list[tuple[int, int]] = []
    results = sweep(last_layer, GRID, seed=3, scheduler="serial",
                    progress=lambda done, total: seen.append((done, total)))
    assert seen == [(i, len(GRID)) for i in range(1, len(GRID) + 1)]
    assert results == [last_layer(t, s) for t, s in zip(GRID, child_seeds(3, len(GRID)),
                                                         strict=True)]
    assert len(set(results)) == len(GRID)


def test_results_are_identical_serially_locally_and_on_a_cluster() -> None:
    pytest.importorskip("distributed", reason="dask sweeps need the sweep extra")
    from distributed import LocalCluster

    serial = sweep(last_layer, GRID, seed=11, scheduler="serial")
    assert sweep(last_layer, GRID, seed=11, scheduler="local") == serial
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        assert "dask cluster at tcp://" in describe(cluster.scheduler_address)
        assert sweep(last_layer, GRID, seed=11, scheduler=cluster.scheduler_address) == serial
    assert sweep(last_layer, GRID, seed=12, scheduler="serial") != serial


def test_an_unreachable_scheduler_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("distributed", reason="dask sweeps need the sweep extra")
    monkeypatch.setattr("initproof.sweep.CONNECT_TIMEOUT", "1s")
    with pytest.raises(UsageError, match=r"cannot reach the dask scheduler 'tcp://127\.0\.0\.1:9'"):
        sweep(last_layer, GRID, seed=1, scheduler="tcp://127.0.0.1:9")
