"""Vocabularies: token <-> index maps.

:class:`Vocab` reproduces the ``Vocab`` of the d2l helper package (
``d2l==0.9.2``): special tokens first, then tokens by frequency, most frequent
first, ties broken by the token's own order.
"""
from __future__ import annotations

import collections
from typing import Any, Hashable, Iterable, List, Sequence, Tuple, Union

SPECIAL_TOKENS = ("<pad>", "<bos>", "<eos>", "<unk>")


class Vocab:
    """Token vocabulary with the index order of ``d2l.Vocab`` (0.9.2).

    ``tokens`` is any iterable of hashable tokens (a string gives a character
    vocabulary). Tokens seen fewer than ``min_freq`` times are left out and map
    to ``<unk>``. With ``use_special_tokens`` the first four indices are
    ``<pad>``, ``<bos>``, ``<eos>``, ``<unk>``; otherwise index 0 is ``<unk>``.
    """

    def __init__(self, tokens: Iterable[Hashable], min_freq: int = 0,
                 use_special_tokens: bool = False) -> None:
        counter = collections.Counter(tokens)
        token_freqs: List[Tuple[Any, int]] = sorted(counter.items(), key=lambda item: item[0])
        token_freqs.sort(key=lambda item: item[1], reverse=True)
        if use_special_tokens:
            self.pad, self.bos, self.eos, self.unk = range(4)
            specials: Sequence[str] = SPECIAL_TOKENS
        else:
            self.unk = 0
            specials = ("<unk>",)
        kept = [tok for tok, freq in token_freqs if freq >= min_freq and tok not in specials]
        self.idx_to_token: List[Hashable] = list(specials) + kept
        self.token_to_idx = {tok: idx for idx, tok in enumerate(self.idx_to_token)}

    @classmethod
    def from_tokens(cls, idx_to_token: Sequence[Hashable]) -> "Vocab":
        """The vocabulary whose index order is ``idx_to_token`` (one saved with a model);
        unknown tokens map to ``<unk>``'s index when it has one, else to 0."""
        vocab = cls([])
        vocab.idx_to_token = list(idx_to_token)
        vocab.token_to_idx = {tok: idx for idx, tok in enumerate(vocab.idx_to_token)}
        vocab.unk = vocab.token_to_idx.get("<unk>", 0)
        return vocab

    def __len__(self) -> int:
        return len(self.idx_to_token)

    def __contains__(self, token: Hashable) -> bool:
        return token in self.token_to_idx

    def __getitem__(self, tokens: Union[Hashable, list, tuple]):
        """Index of a token (``unk`` if unknown), or a list of indices for a list/tuple."""
        if isinstance(tokens, (list, tuple)):
            return [self[token] for token in tokens]
        return self.token_to_idx.get(tokens, self.unk)

    def indices(self, tokens: Iterable[Hashable]) -> List[int]:
        """The index of every token of ``tokens`` (``unk`` for unknown ones): ``self[list]``
        for any iterable, written for corpora of tens of millions of tokens (a 55 MB
        text takes seconds, not the half minute one ``__getitem__`` call per token does)."""
        get, unk = self.token_to_idx.get, self.unk
        return [get(token, unk) for token in tokens]

    def to_tokens(self, indices):
        """Token of an index, or a list of tokens for a list/tuple of indices."""
        if isinstance(indices, (list, tuple)):
            return [self.idx_to_token[int(i)] for i in indices]
        return self.idx_to_token[int(indices)]

    def __repr__(self) -> str:
        head = ", ".join(repr(t) for t in self.idx_to_token[:8])
        more = ", ..." if len(self) > 8 else ""
        return f"Vocab(size={len(self)}: [{head}{more}])"
