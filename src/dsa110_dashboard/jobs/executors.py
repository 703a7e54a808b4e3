"""Where batch items run: a local process pool, or a Dask distributed cluster.

Both are ``concurrent.futures.Executor``s (Dask's through ``Client.get_executor``), so
the batch runner has one code path: submit a module-level function per item, collect
futures as they finish. Set ``DSA110_DASH_DASK_SCHEDULER`` to a scheduler's address to
spread the items over its workers; this is how batches scale past one machine.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager

from ..errors import ExecutorUnavailableError
from ..settings import Settings


@contextmanager
def batch_executor(settings: Settings, scheduler: str | None = None
                   ) -> Iterator[tuple[Executor, str]]:
    """(executor, a description for the batch's record). ``scheduler`` overrides
    ``settings.dask_scheduler`` (an address, or a ``LocalCluster``'s in tests)."""
    address = scheduler or settings.dask_scheduler
    if address:
        from distributed import Client

        try:
            client = Client(address, timeout=settings.timeouts.dask_connect,
                            set_as_default=False)
        except OSError as exc:  # distributed raises OSError (TimeoutError) when unreachable
            raise ExecutorUnavailableError(
                f"the Dask scheduler {address} (DSA110_DASH_DASK_SCHEDULER) did not "
                f"answer: {exc}") from None
        try:
            yield client.get_executor(pure=False), f"dask {address}"
        finally:
            client.close()
        return
    workers = settings.batch_workers
    # spawn, never fork: the worker process holds threads and database connections.
    with ProcessPoolExecutor(max_workers=workers,
                             mp_context=multiprocessing.get_context("spawn")) as pool:
        yield pool, f"local pool ({workers} processes)"
