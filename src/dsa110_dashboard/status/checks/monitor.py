"""The process's health scheduler: runs every check concurrently each interval, keeps
the latest result and a bounded history per check (decision 0059).

Each check runs in a thread of its own, bounded by its timeout: a check still running at
its deadline is reported critical "timed out" and is not started again until that thread
returns, so a hung probe costs one thread, never the others' results or a page.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout

from .probes import EXPECTED_ERRORS, Check
from .result import CRITICAL, STATUSES, UNKNOWN, CheckResult, HistoryPoint, Outcome, overall

log = logging.getLogger(__name__)

#: A check's history never holds more points than this, whatever the interval.
MAX_POINTS = 100_000

#: Monitors to start again in each forked server process (DSA110_DASH_NUM_PROCS > 1:
#: threads do not survive a fork). Weak, and left by ``stop``: a monitor of a server
#: gone (the tests make many in one process) is neither kept alive nor restarted.
_after_fork: weakref.WeakSet[HealthMonitor] = weakref.WeakSet()
_fork_hook = {"registered": False}
_fork_lock = threading.Lock()


def _start_after_fork() -> None:
    for monitor in list(_after_fork):
        monitor.start()


class HealthMonitor:
    def __init__(self, checks: Sequence[Check], *, interval_s: float = 30.0,
                 history_s: float = 86400.0, clock: Callable[[], float] = time.time):
        names = [c.name for c in checks]
        if len(set(names)) != len(names):
            raise ValueError("check names must be unique")
        self.checks = list(checks)
        self.interval_s = interval_s
        self.history_s = history_s
        self.clock = clock
        self.started_at = clock()
        self.runs = 0
        points = min(MAX_POINTS, math.ceil(history_s / interval_s) + 1)
        #: The most points one check's history holds.
        self.max_points = points
        self._lock = threading.Lock()
        self._latest: dict[str, CheckResult] = {}
        self._history: dict[str, deque[HistoryPoint]] = {
            c.name: deque(maxlen=points) for c in self.checks}
        self._in_flight: dict[str, tuple[float, Future]] = {}
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()

    # ------------------------------------------------------------ reading
    def results(self) -> list[CheckResult]:
        """The latest result of every check, in configured order (unknown "not checked
        yet" before its first run)."""
        self.start()
        with self._lock:
            return [self._latest.get(c.name) or self._not_yet(c) for c in self.checks]

    def result(self, name: str) -> CheckResult | None:
        return next((r for r in self.results() if r.name == name), None)

    def overall(self) -> str:
        return overall(self.results())

    def history(self, name: str, since: float | None = None) -> list[HistoryPoint]:
        with self._lock:
            points = list(self._history.get(name, ()))
        if since is not None:
            points = [p for p in points if p.checked_at >= since]
        return points

    def summary(self, name: str) -> dict:
        """Counts per status, latency median and max, and the window they cover."""
        points = self.history(name)
        latencies = sorted(p.latency_ms for p in points if p.latency_ms is not None)
        counts = {s: 0 for s in STATUSES}
        for p in points:
            counts[p.status] += 1
        return {
            "points": len(points),
            "since": points[0].checked_at if points else None,
            "counts": counts,
            "latency_ms_median": latencies[len(latencies) // 2] if latencies else None,
            "latency_ms_max": latencies[-1] if latencies else None,
        }

    def describe(self) -> list[dict]:
        """The configured checks (``GET /api/v1/services``)."""
        return [c.describe() for c in self.checks]

    # ------------------------------------------------------------ running
    def run_once(self) -> list[CheckResult]:
        """Run every check now, concurrently; returns when all have answered or passed
        their timeout."""
        started = self.clock()
        waiting: list[tuple[Check, Future, float]] = []
        results: list[CheckResult] = []
        for check in self.checks:
            with self._lock:
                busy = self._in_flight.get(check.name)
            if busy is not None and not busy[1].done():
                results.append(self._timed_out(check, started, busy[0]))
                continue
            future: Future = Future()
            with self._lock:
                self._in_flight[check.name] = (started, future)
            threading.Thread(target=self._execute, args=(check, future), daemon=True,
                             name=f"health-check {check.name}").start()
            waiting.append((check, future, time.monotonic() + check.timeout))
        for check, future, deadline in waiting:
            try:
                results.append(future.result(timeout=max(0.0, deadline - time.monotonic())))
            except FutureTimeout:
                results.append(self._timed_out(check, started, started))
        with self._lock:
            for r in results:
                self._latest[r.name] = r
                self._record(r)
            self.runs += 1
        return self.ordered(results)

    def ordered(self, results: list[CheckResult]) -> list[CheckResult]:
        order = {c.name: i for i, c in enumerate(self.checks)}
        return sorted(results, key=lambda r: order[r.name])

    def start(self) -> None:
        """Start this process's scheduler, once (again in a forked child)."""
        pid = os.getpid()
        if self._pid == pid and self._thread is not None:
            return
        with self._lock:
            if self._pid == pid and self._thread is not None:
                return
            self._pid = pid
            # Each scheduler thread has its own stop signal: a thread that a ``stop()``
            # just before this start has not yet seen ends all the same (a shared event,
            # cleared here, would leave two schedulers running).
            # Its own wake signal too: a new scheduler clearing a shared one could take
            # the old one's wake-up, leaving it asleep for an interval beside the new.
            self._stop, self._wake = threading.Event(), threading.Event()
            self._thread = threading.Thread(
                target=self._loop, args=(self._stop, self._wake), daemon=True,
                name="health-scheduler")
            self._thread.start()

    def start_after_fork(self) -> None:
        """Start this monitor in every process forked from this one from now on (one
        at-fork hook per process, however many monitors ask)."""
        with _fork_lock:
            _after_fork.add(self)
            if not _fork_hook["registered"]:
                _fork_hook["registered"] = True
                os.register_at_fork(after_in_child=_start_after_fork)

    def stop(self, wait: bool = False) -> None:
        """End the scheduler after its current round (``wait``: until it has ended)."""
        _after_fork.discard(self)
        self._stop.set()
        self._wake.set()
        thread, self._thread = self._thread, None
        if wait and thread is not None and thread is not threading.current_thread():
            thread.join(timeout=max(c.timeout for c in self.checks) + 1 if self.checks else 1)

    def check_now(self) -> None:
        """Ask the scheduler for a round now (the page's "check now")."""
        self._wake.set()

    # ------------------------------------------------------------ internals
    def _loop(self, stop: threading.Event, wake: threading.Event) -> None:
        while not stop.is_set():
            began = time.monotonic()
            self.run_once()
            wake.wait(max(0.0, self.interval_s - (time.monotonic() - began)))
            wake.clear()

    def _execute(self, check: Check, future: Future) -> None:
        checked_at = self.clock()
        began = time.perf_counter()
        try:
            outcome = check.run()
        except TimeoutError:
            outcome = Outcome(CRITICAL, error=f"timed out after {check.timeout:g} s")
        except EXPECTED_ERRORS as exc:
            outcome = Outcome(CRITICAL, error=_message(exc))
        except Exception as exc:  # noqa: BLE001 - a broken probe must not stop the others
            log.exception("health check %r failed unexpectedly", check.name)
            outcome = Outcome(CRITICAL, error=f"the check itself failed: {_message(exc)}")
        latency = round((time.perf_counter() - began) * 1000, 2)
        future.set_result(CheckResult(
            check.name, check.kind, check.target, outcome.status, latency, checked_at,
            outcome.error, outcome.detail))

    def _timed_out(self, check: Check, now: float, since: float) -> CheckResult:
        running = now - since
        text = f"timed out after {check.timeout:g} s"
        if running > check.timeout:
            text += f" (still running after {running:.0f} s)"
        return CheckResult(check.name, check.kind, check.target, CRITICAL, None, now, text)

    def _not_yet(self, check: Check) -> CheckResult:
        return CheckResult(check.name, check.kind, check.target, UNKNOWN, None, None,
                           "not checked yet")

    def _record(self, r: CheckResult) -> None:
        points = self._history[r.name]
        points.append(HistoryPoint(r.checked_at or self.clock(), r.status, r.latency_ms))
        cutoff = self.clock() - self.history_s
        while points and points[0].checked_at < cutoff:
            points.popleft()


def _message(exc: BaseException) -> str:
    user = getattr(exc, "user_message", None)
    if user:
        return str(user)
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__
