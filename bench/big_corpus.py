"""From a 55 MB corpus on one line to the first minibatch: how long `gluon-rnn train`
takes to read, split, build the vocabulary and index it, against the per-token
``vocab[token]`` indexing it used before (the peer, in the same run), idle and busy.

    python bench/big_corpus.py [--megabytes 55] [--loads 0,1,2]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import add_load_argument, best_of, competing, loads, result


def _one_line_corpus(megabytes: int, folder: Path) -> Path:
    from gluon_rnn.data.corpora import time_machine_text

    line = time_machine_text(200000).replace("\n", " ")
    path = folder / "one_line.txt"
    path.write_text((line * (megabytes * 1_000_000 // len(line) + 1))[:megabytes * 1_000_000])
    return path


def _time_to_indices(path: Path, per_token: bool) -> float:
    from gluon_rnn.data.corpora import load_token_corpus
    from gluon_rnn.data.vocab import Vocab

    start = time.perf_counter()
    corpus = load_token_corpus(str(path), "char", 0.1)
    vocab = Vocab(corpus.train)
    if per_token:
        [vocab[token] for token in corpus.train]
    else:
        vocab.indices(corpus.train)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=55)
    parser.add_argument("--repeats", type=int, default=2)
    add_load_argument(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = _one_line_corpus(args.megabytes, Path(tmp))
        for name, processes in loads(args.loads):
            with competing(processes):
                ours = best_of(lambda: _time_to_indices(path, False), args.repeats)
                peer = best_of(lambda: _time_to_indices(path, True), args.repeats)
            result(f"{args.megabytes} MB one-line corpus: read, vocabulary, indices", ours, peer,
                   "s", "per-token vocab[token] (before)", "faster than before", ours < peer,
                   load=name)


if __name__ == "__main__":
    main()
