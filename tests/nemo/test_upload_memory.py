"""A 100 MB upload through the real client and simulator keeps memory flat (tracemalloc)."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import AsyncIterator

from core.nemo.client import NemoClient
from core.nemo.models import SessionInfo
from core.nemo.multipart import CHUNK_SIZE, UploadSource
from simulator import Simulator

TOTAL = 100 * 1024 * 1024
PEAK_LIMIT = 16 * 1024 * 1024


async def generated(total: int, chunk: int = CHUNK_SIZE) -> AsyncIterator[bytes]:
    """``total`` bytes made on the fly, a fresh chunk each time (like a platform download)."""
    sent = 0
    while sent < total:
        size = min(chunk, total - sent)
        yield bytes([sent // chunk % 251]) * size
        sent += size


async def test_a_100_mb_upload_from_an_async_generator_keeps_peak_memory_flat(
    client: NemoClient, session: SessionInfo, sim: Simulator
) -> None:
    """Streaming 100 MB end to end allocates at most a few MB at once (client and simulator together)."""
    source = UploadSource("big.mp4", "video/mp4", lambda: generated(TOTAL), TOTAL)
    progress: list[int] = []
    await client.credits()  # token and connection set up outside the measurement
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        started = time.monotonic()
        result = await client.upload_files(session.session_id, [source], progress=progress.append)
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.files[0].filename == "big.mp4"
    assert progress[-1] == TOTAL
    assert sim.stats.uploaded_bytes == TOTAL
    (stored,) = sim.backend.uploaded_files.values()
    assert stored.stat().st_size == TOTAL
    stored.unlink()
    assert peak < PEAK_LIMIT, f"peak traced allocation {peak / 2**20:.1f} MiB"
    assert elapsed < 10.0
