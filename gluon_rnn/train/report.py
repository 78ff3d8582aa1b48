"""The contract every training loop of the library keeps: one :class:`EpochReport` per
epoch, and the one detach of a carried hidden state. A module of its own so that the
books' loops (the d2l generations) use it without loading runs, checkpoints and the
distributed launcher (:mod:`~gluon_rnn.train.loop` imports them)."""
from __future__ import annotations

import dataclasses
from typing import Optional


@dataclasses.dataclass
class EpochReport:
    """What one epoch did: its 1-based number, training perplexity, seconds and tokens seen."""

    epoch: int
    perplexity: float
    seconds: float
    tokens: int
    valid_perplexity: Optional[float] = None
    skipped: int = 0  # minibatches skipped for a non-finite loss (gluon-rnn train)

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds if self.seconds > 0 else float("inf")


def detached(state):
    """The hidden state cut from its history (the same kind of sequence): the one
    detach every loop uses before a carried state is fed to the next minibatch."""
    return type(state)(s.detach() for s in state)
