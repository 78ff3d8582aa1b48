"""Peak RSS of one Straight Dope training epoch over tinyshakespeare at 1x and 4x the
corpus: the one-hot batches are built lazily, so memory must stay flat while the
corpus grows. Each size runs in its own process (peak RSS is per process).

    python bench/straight_dope_memory.py [--num-hidden H] [--fraction F]

For comparison, the seed's eager one-hot dataset alone would take corpus x 77 x 4 bytes
x 2 (inputs and labels): about 690 MB at 1x and 2.7 GB at 4x.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time


def one_epoch(times: int, num_hidden: int, fraction: float) -> dict:
    """One epoch of the library's own training loop over ``times`` copies of the corpus."""
    from gluon_rnn.blas import configure_blas
    configure_blas()
    import mxnet as mx

    from gluon_rnn.tutorials.straight_dope import (
        character_list,
        encode_chars,
        get_params,
        load_char_corpus,
        train_char_rnn,
    )

    base = load_char_corpus("tinyshakespeare")
    text = base[:int(len(base) * fraction)] * times
    chars = character_list(text)
    mx.random.seed(1)
    params = get_params(len(chars), num_hidden, len(chars))
    start = time.perf_counter()
    train_char_rnn(params, encode_chars(text, chars), len(chars), num_hidden, epochs=1)
    return {"times": times, "chars": len(text), "seconds": time.perf_counter() - start,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-hidden", type=int, default=256)
    parser.add_argument("--fraction", type=float, default=1.0,
                        help="use this fraction of tinyshakespeare as 1x (quicker runs)")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_epoch(args.child, args.num_hidden, args.fraction)))
        return
    rows = []
    for times in (1, 4):
        out = subprocess.run([sys.executable, __file__, "--child", str(times), "--num-hidden",
                              str(args.num_hidden), "--fraction", str(args.fraction)],
                             capture_output=True, text=True, check=True).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
    for row in rows:
        print(f"{row['times']}x corpus ({row['chars']} chars): one epoch {row['seconds']:.1f} s, "
              f"peak RSS {row['peak_rss_mb']:.0f} MB")
    print(f"peak RSS 4x / 1x: x{rows[1]['peak_rss_mb'] / rows[0]['peak_rss_mb']:.2f} "
          f"(time 4x / 1x: x{rows[1]['seconds'] / rows[0]['seconds']:.2f})")


if __name__ == "__main__":
    main()
