"""The ops HTTP server on ``NEMOBOT_OPS_PORT`` (off by default): ``/healthz`` and ``/metrics``.

``/healthz`` answers 200 when the store answers a query and at least one platform is up, else 503,
with a small JSON body saying which part is down (a load balancer or compose healthcheck reads the
status; a person reads the body). ``/metrics`` is Prometheus text: the core's counters
(:mod:`core.metrics`) are read at scrape time by a collector, so the core never imports
prometheus-client, plus the queue depth and the process's own CPU and memory.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator, Sequence

from aiohttp import web
from prometheus_client import CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from core.metrics import LAG_BUCKETS, METRICS, Metrics
from core.ports import Store

log = logging.getLogger(__name__)

HEALTH_TIMEOUT_S = 5.0


class CoreCollector(Collector):
    """Prometheus families built from a :class:`~core.metrics.Metrics` snapshot on each scrape."""

    def __init__(self, metrics: Metrics, queue_depth: Callable[[], int]) -> None:
        self._metrics = metrics
        self._queue_depth = queue_depth

    def collect(self) -> Iterator[Metric]:
        m = self._metrics
        work = CounterMetricFamily(
            "nemobot_work", "Turns, uploads and exports finished, by outcome", labels=["kind", "outcome"]
        )
        for (kind, outcome), count in sorted(m.work.items()):
            work.add_metric([kind, outcome], count)
        yield work
        seconds = CounterMetricFamily("nemobot_work_seconds", "Time spent on work, by kind", labels=["kind"])
        for kind, total in sorted(m.work_seconds.items()):
            seconds.add_metric([kind], total)
        yield seconds
        failures = CounterMetricFamily(
            "nemobot_failures", "Work that failed and was explained to the user", labels=["kind"]
        )
        for kind, count in sorted(m.failures.items()):
            failures.add_metric([kind], count)
        yield failures
        yield CounterMetricFamily(
            "nemobot_sse_events", "Events received on chat-turn streams", value=m.sse_events
        )
        limited = CounterMetricFamily(
            "nemobot_platform_rate_limited", "429 / RetryAfter answers from a platform", labels=["platform"]
        )
        for platform, count in sorted(m.rate_limited.items()):
            limited.add_metric([platform], count)
        yield limited
        yield GaugeMetricFamily(
            "nemobot_queue_depth", "Work items running or waiting across chats", value=self._queue_depth()
        )
        cumulative = [(str(bound), count) for bound, count in zip(LAG_BUCKETS, m.lag_buckets, strict=True)]
        lag = HistogramMetricFamily(
            "nemobot_job_lag_seconds", "Time work waited in its chat's queue before it started"
        )
        lag.add_metric([], [*cumulative, ("+Inf", m.lag_count)], sum_value=m.lag_sum)
        yield lag


async def store_is_up(store: Store) -> bool:
    """One cheap read; False when it fails or takes longer than :data:`HEALTH_TIMEOUT_S`."""
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT_S):
            await store.get_job("healthz")
    except Exception as exc:  # noqa: BLE001 - any failure means "not healthy", reported, never raised
        log.warning("health check: the store is not answering (%s)", type(exc).__name__)
        return False
    return True


class OpsServer:
    """``/healthz`` and ``/metrics`` on ``host:port``. ``queue_depth()`` counts the core's queued work;
    ``platforms()`` names the platforms that are up."""

    def __init__(
        self,
        store: Store,
        queue_depth: Callable[[], int],
        platforms: Callable[[], Sequence[str]],
        *,
        metrics: Metrics = METRICS,
    ) -> None:
        self._store = store
        self._platforms = platforms
        self.registry = CollectorRegistry()
        self.registry.register(CoreCollector(metrics, queue_depth))
        ProcessCollector(registry=self.registry)
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        return app

    async def start(self, host: str, port: int) -> int:
        """Serve on ``host:port`` (0 picks a free port); returns the bound port."""
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        self.port = int(self._runner.addresses[0][1])
        log.info("ops server on %s:%d (/healthz, /metrics)", host, self.port)
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, _request: web.Request) -> web.Response:
        store_up = await store_is_up(self._store)
        platforms = list(self._platforms())
        ready = store_up and bool(platforms)
        body = {"ready": ready, "store": "up" if store_up else "down", "platforms": platforms}
        return web.json_response(body, status=200 if ready else 503)

    async def _metrics(self, _request: web.Request) -> web.Response:
        payload = generate_latest(self.registry)
        return web.Response(body=payload, headers={"Content-Type": CONTENT_TYPE_LATEST})
