"""A fleet: several ``nemobot run`` processes (workers) sharing one store, any of them able to run any job.

The rule that keeps per-chat order and the never-re-send promise across processes is one lease per
chat (:meth:`~core.ports.Store.take_lease`): only the worker holding a chat's lease runs its jobs, in
the order they were stored. A worker that stores a job takes the chat if it is free; otherwise the
holder finds the job on its next look at the store. Every worker renews its leases well before they
expire; a worker that dies stops renewing, and once its leases expire another worker takes its chats
and resumes their open jobs exactly as after a restart (a job already sent to the backend is
recovered by reading state, never sent again). :class:`core.work.Work` applies the rule.

The same leases name single roles in the fleet, such as the one Telegram long-poller.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

from core.chat import ChatKey

CHAT_LEASES = "chat/"
ROLE_LEASES = "role/"


def chat_lease(chat: ChatKey) -> str:
    """The lease name of one chat (a thread or forum topic is a chat of its own)."""
    return f"{CHAT_LEASES}{chat.platform}/{chat.chat_id}/{chat.thread_id or ''}"


def role_lease(role: str) -> str:
    """The lease name of a fleet-wide role held by one worker (``poller/telegram``)."""
    return ROLE_LEASES + role


def default_worker_id() -> str:
    """``host:pid``: unique among the live workers of a fleet, readable in the ``leases`` table."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True, slots=True)
class Fleet:
    """How this worker takes part in a fleet (``NEMOBOT_WORKER_ID``, ``NEMOBOT_LEASE_S``,
    ``NEMOBOT_POLL_S``). The store is scanned for work every ``poll_s``; leases are renewed (one
    cheap statement) five times per lease, or at each scan if that is more often."""

    worker_id: str
    lease_s: float = 30.0
    poll_s: float = 1.0

    @property
    def renew_every_s(self) -> float:
        return min(self.poll_s, self.lease_s / 5)
