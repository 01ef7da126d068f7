"""Many independent tasks: run serially, on a local dask cluster, or on an existing one.

Task i is called as `fn(task_i, seed_i)` with seed_i the i-th child of
`numpy.random.SeedSequence(seed)` (`verify.child_seeds`), so a sweep's results are the
same whether it ran serially, on this machine's processes or on a cluster. The results
come back in the tasks' order. dask is the `sweep` extra: `pip install 'initproof[sweep]'`.

    scheduler=None        a local cluster (one process per core) when dask is installed,
                          else serially
    scheduler="serial"    in this process, one task after another
    scheduler="local"     a local dask cluster, one single-threaded process per core
    scheduler=ADDRESS     an existing dask scheduler, e.g. "tcp://10.0.0.5:8786"
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from initproof import UsageError
from initproof.extras import missing, require
from verify import child_seeds

Progress = Callable[[int, int], None]
WORKER_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
"""One BLAS thread per worker process: the processes already use every core."""
CONNECT_TIMEOUT = "10s"


def _serial(scheduler: str | None) -> bool:
    """Asked for serially, or left to the default without dask installed."""
    return scheduler == "serial" or (scheduler is None and bool(missing("distributed")))


def describe(scheduler: str | None) -> str:
    """How `scheduler` will run, in words for a document or a progress line."""
    if _serial(scheduler):
        return "serially in one process"
    if scheduler in (None, "local"):
        return f"on a local dask cluster of {os.cpu_count() or 1} processes"
    return f"on the dask cluster at {scheduler}"


@contextmanager
def _client(scheduler: str) -> Iterator[Any]:
    require("a dask sweep", "distributed")
    from distributed import Client, LocalCluster

    if scheduler == "local":
        with LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1, processes=True,
                          dashboard_address=None, env=WORKER_ENV) as cluster, \
                Client(cluster) as client:
            yield client
        return
    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT)
    except (OSError, ValueError, TypeError) as e:
        raise UsageError(f"cannot reach the dask scheduler {scheduler!r} ({e}); give an "
                         "address such as tcp://host:8786, 'local' or 'serial'") from None
    with client:
        yield client


def sweep(fn: Callable[[Any, int], Any], tasks: Sequence[Any], *, seed: int,
          scheduler: str | None = None, progress: Progress | None = None) -> list[Any]:
    """[fn(task_i, seed_i) for each task], seed_i = child_seeds(seed, len(tasks))[i].

    `fn` must be picklable (a module-level function) for a dask scheduler.
    """
    seeds = child_seeds(seed, len(tasks))
    if _serial(scheduler):
        results = []
        for done, (task, s) in enumerate(zip(tasks, seeds, strict=True), 1):
            results.append(fn(task, s))
            if progress is not None:
                progress(done, len(tasks))
        return results
    with _client("local" if scheduler is None else scheduler) as client:
        from distributed import as_completed

        futures = client.map(fn, list(tasks), seeds, pure=False)
        for done, _ in enumerate(as_completed(futures), 1):
            if progress is not None:
                progress(done, len(tasks))
        return client.gather(futures)
