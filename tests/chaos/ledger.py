"""Counting what the chaos suite did and what came of it, for the summary CI prints."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Outcome:
    """One fault scenario's result."""

    fault: str
    turns_accepted: int = 0
    turns_sent: int = 0  # accepted by the backend (simulator's count of started turns)
    exports_requested: int = 0
    render_attempts: int = 0  # ids the bot meant to use (first try + a retry after a failure)
    render_submissions: int = 0  # renders the backend accepted
    deliveries: int = 0  # results that reached the chat (video or link)
    unanswered: int = 0  # accepted work that ended without a final reply or clear error
    open_jobs: int = 0  # jobs left open at the end (lost)

    @property
    def duplicate_sends(self) -> int:
        return max(0, self.turns_sent - self.turns_accepted)

    @property
    def duplicate_exports(self) -> int:
        return max(0, self.render_submissions - self.render_attempts)


@dataclass
class Ledger:
    outcomes: list[Outcome] = field(default_factory=list)

    def add(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)

    def summary(self) -> str:
        total = self.outcomes
        lost = sum(o.open_jobs + o.unanswered for o in total)
        lines = [
            "chaos summary",
            f"  faults injected:        {len(total)} ({len({o.fault for o in total})} distinct)",
            f"  turns accepted:         {sum(o.turns_accepted for o in total)}",
            f"  turns lost:             {lost}",
            f"  duplicate /run_sse:     {sum(o.duplicate_sends for o in total)}",
            f"  exports requested:      {sum(o.exports_requested for o in total)}",
            f"  duplicate exports:      {sum(o.duplicate_exports for o in total)}",
            f"  deliveries made:        {sum(o.deliveries for o in total)}",
        ]
        return "\n".join(lines)


LEDGER = Ledger()
