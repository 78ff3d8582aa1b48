"""Training tokens per second on the Penn Treebank: ``gluon-rnn train``'s step (the loop
of ``gluon_rnn.train``) against gluonnlp 0.10's word language model (its
``StandardRNN`` trained as its ``word_language_model`` script does: detached hidden
state, ``clip_global_norm``, ``Trainer.step``), the same small LSTM (Zaremba et al.:
2 x 200, embedding 200, U(-0.1, 0.1), SGD) on the same consecutive minibatches
(20 x 20 tokens), idle and under load.

    python bench/ptb_peer.py [--batches N] [--repeats R] [--loads 0,1,2]

Each side runs in its own process: the peer with the environment as it is (what a
gluonnlp user has), ours after ``configure_blas()`` and the thread governor (what
``gluon-rnn train`` does). Each figure is the best of ``--repeats`` blocks of
``--batches`` minibatches after a warm-up.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time

from _harness import add_load_argument, competing, last_json, loads, python, result, run_child

NUM_STEPS, BATCH_SIZE, HIDDEN, LAYERS, LR, CLIP = 20, 20, 200, 2, 20.0, 0.25


def _batches(train, ctx, count: int) -> list:
    from gluon_rnn.data.batches import data_iter_consecutive

    batches = data_iter_consecutive(train, BATCH_SIZE, NUM_STEPS, ctx, rng=random.Random(0))
    return [next(batches) for _ in range(count)]


def _timed(step, batches, warmup: int, repeats: int) -> float:
    """Tokens per second: the best of ``repeats`` passes over ``batches``."""
    import mxnet as mx

    for X, Y in batches[:warmup]:
        step(X, Y)
    mx.nd.waitall()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for X, Y in batches[warmup:]:
            step(X, Y)
        mx.nd.waitall()
        best = min(best, time.perf_counter() - start)
    return (len(batches) - warmup) * NUM_STEPS * BATCH_SIZE / best


def ours(count: int, repeats: int) -> float:
    from gluon_rnn.blas import configure_blas
    configure_blas()
    import mxnet as mx
    from mxnet.gluon import loss as gloss

    from gluon_rnn.threads import governed
    from gluon_rnn.train.loop import _train_step
    from gluon_rnn.train.run import TrainConfig, new_run

    config = TrainConfig(model="lstm", iter="consecutive", corpus="ptb", level="word",
                         num_hiddens=HIDDEN, num_layers=LAYERS, embed_size=HIDDEN, dropout=0.0,
                         num_steps=NUM_STEPS, batch_size=BATCH_SIZE, num_epochs=1, lr=LR,
                         init="uniform", clipping_theta=CLIP, seed=0)
    run = new_run(config, mx.cpu())
    loss = gloss.SoftmaxCrossEntropyLoss()
    index = iter(range(10 ** 9))
    with governed():  # as fit() trains
        return _timed(lambda X, Y: _train_step(run, loss, X, Y, 1, next(index)),
                      _batches(run.train, mx.cpu(), count), 5, repeats)


def peer(count: int, repeats: int) -> float:
    import gluonnlp as nlp
    import mxnet as mx
    from mxnet import autograd, gluon

    from gluon_rnn.train.run import TrainConfig, new_run

    data = new_run(TrainConfig(model="lstm", corpus="ptb", level="word", iter="consecutive",
                               num_steps=NUM_STEPS, batch_size=BATCH_SIZE), mx.cpu())
    model = nlp.model.StandardRNN("lstm", len(data.vocab), HIDDEN, HIDDEN, LAYERS, 0.0, False)
    model.initialize(mx.init.Uniform(0.1), ctx=mx.cpu())
    model.hybridize(static_alloc=True)
    trainer = gluon.Trainer(model.collect_params(), "sgd", {"learning_rate": LR})
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    params = [p for p in model.collect_params().values() if p.grad_req != "null"]
    hidden = [model.begin_state(batch_size=BATCH_SIZE, func=mx.nd.zeros, ctx=mx.cpu())]

    def step(X, Y):  # gluonnlp's word_language_model.py, one minibatch (time-major)
        state = [h.detach() for h in hidden[0]]
        with autograd.record():
            output, state = model(X.T, state)
            ls = loss(output.reshape((-3, -1)), Y.T.reshape((-1,))).mean()
        ls.backward()
        gluon.utils.clip_global_norm([p.grad() for p in params], CLIP)
        trainer.step(1)
        hidden[0] = state

    return _timed(step, _batches(data.train, mx.cpu(), count), 5, repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=40, help="timed minibatches per block")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", choices=("ours", "peer"))
    add_load_argument(parser)
    args = parser.parse_args()
    if args.child:
        measure = ours if args.child == "ours" else peer
        print(json.dumps({"tokens_per_second": measure(args.batches + 5, args.repeats)}))
        return
    for load, processes in loads(args.loads):
        with competing(processes):
            rates = {side: last_json(run_child([python(), __file__, "--child", side, "--batches",
                                                str(args.batches), "--repeats",
                                                str(args.repeats)]))["tokens_per_second"]
                     for side in ("peer", "ours")}
        print(f"{load:>18}: gluonnlp StandardRNN loop {rates['peer']:,.0f} tokens/s, "
              f"gluon-rnn train {rates['ours']:,.0f} tokens/s", flush=True)
        result("PTB small LSTM (2x200, 20x20), training", 1000 / rates["ours"],
               1000 / rates["peer"], "s/1k tokens", "gluonnlp 0.10 StandardRNN and its loop",
               ">= 1.0x", rates["ours"] >= rates["peer"],
               f"{rates['ours']:,.0f} vs {rates['peer']:,.0f} tokens/s", load=load)


if __name__ == "__main__":
    sys.exit(main())
