"""Scaling with corpus length: seconds for one pass over all minibatches and peak RSS,
at 1x, 4x and 16x The Time Machine (Gutenberg text, about 170,000 characters), for
``data_iter_random``, ``data_iter_consecutive`` (32 x 35) and The Straight Dope's
one-hot batches (``char_batches``, 32 x 64). Each size runs in its own process.

    python bench/scaling.py

Linear time means the 16x / 1x time ratio is near 16 (tokens/s flat); flat memory
means peak RSS grows only by the corpus itself (an int list of 16x the book is about
22 MB in Python, 11 MB as int32 in numpy), not by the batches.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import time

from _harness import last_json, python, result, run_child

PATHS = ("data_iter_random", "data_iter_consecutive", "char_batches")
SIZES = (1, 4, 16)


def one_pass(path: str, times: int) -> dict:
    from gluon_rnn.blas import configure_blas
    configure_blas()
    import mxnet as mx

    from gluon_rnn.data import batches as partitionings
    from gluon_rnn.tutorials.straight_dope import (
        char_batches,
        character_list,
        encode_chars,
        load_char_corpus,
    )

    text = load_char_corpus("timemachine") * times
    chars = character_list(text)
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    tokens = 0
    if path == "char_batches":
        batches = char_batches(encode_chars(text, chars), 64, 32, len(chars))
    else:
        index = {c: i for i, c in enumerate(chars)}
        corpus = [index[c] for c in text]
        batches = getattr(partitionings, path)(corpus, 32, 35, mx.cpu())
    for X, _ in batches:
        (X[-1] if isinstance(X, list) else X).wait_to_read()  # char_batches: a list of steps
        tokens += 32 * (64 if path == "char_batches" else 35)
    seconds = time.perf_counter() - start
    return {"path": path, "times": times, "chars": len(text), "seconds": seconds,
            "tokens_per_second": tokens / seconds, "base_rss_mb": base_rss,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=2, metavar=("PATH", "TIMES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_pass(args.child[0], int(args.child[1]))))
        return
    for path in PATHS:
        rows = [last_json(run_child([python(), __file__, "--child", path, str(times)]))
                for times in SIZES]
        for row in rows:
            print(f"{path:>22} {row['times']:>2}x ({row['chars']:>9,} chars): "
                  f"{row['seconds']:7.3f} s, {row['tokens_per_second']:>12,.0f} tokens/s, "
                  f"peak RSS {row['peak_rss_mb']:6.0f} MB (after loading the corpus "
                  f"{row['base_rss_mb']:.0f} MB)")
        time_ratio = rows[-1]["seconds"] / rows[0]["seconds"]
        rss_growth = rows[-1]["peak_rss_mb"] - rows[0]["peak_rss_mb"]
        print(f"{path:>22} 16x / 1x: time x{time_ratio:.1f} (linear: 16), "
              f"peak RSS +{rss_growth:.0f} MB")
        result(f"{path}: one pass at 16x the book", rows[-1]["seconds"],
               16 * rows[0]["seconds"], "s", "16 x the 1x time (linear)",
               "linear time, flat memory", time_ratio < 20 and rss_growth < 200,
               f"16x/1x time x{time_ratio:.1f}, peak RSS +{rss_growth:.0f} MB")


if __name__ == "__main__":
    sys.exit(main())
