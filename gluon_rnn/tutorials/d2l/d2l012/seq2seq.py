"""The machine-translation, encoder-decoder and seq2seq pages of d2l-en v0.8.0
(``d2l==0.12.0``, ``chapter_recurrent-modern``): the Tatoeba pairs as minibatches, the
LSTM encoder and decoder, the masked loss, training and greedy prediction.

As d2l 0.12.0's, which differ from the later books': a space before ``, . !`` only (not
``?``), words seen three times, the target framed by ``<bos>`` and ``<eos>`` (the source
by neither), ``load_data_nmt`` returning ``(src_vocab, tgt_vocab, data_iter)``, LSTMs,
and a prediction that is a string. The same vocabularies, batches, initial parameters,
losses and printed line as the real package. Minus its crashes: ``num_steps`` below 1, a
text with no pair, more examples than the file holds, a damaged archive or a file that is
not UTF-8 is one error naming it; the data come through gluon-rnn's resolver.
"""
from __future__ import annotations

from mxnet import autograd, gluon, init, np
from mxnet.gluon import nn, rnn

from ...._checks import check_counts, check_rates
from ..base import (
    Accumulator,
    Animator,
    Decoder,
    Encoder,
    MaskedSoftmaxCELoss,
    Timer,
    load_array,
    nmt_pairs,
    prepare_nmt_text,
    read_fra_text,
    truncate_pad,
    unpacked_folder,
)
from .rnn import Vocab, download, grad_clipping

__all__ = ["Seq2SeqDecoder", "Seq2SeqEncoder", "build_array", "download_extract",
           "load_data_nmt", "predict_s2s_ch9", "preprocess_nmt", "read_data_nmt",
           "train_s2s_ch9"]


def download_extract(name: str, folder=None) -> str:
    """The folder of ``DATA_HUB[name]``'s archive once unpacked (d2l ``download_extract``),
    or ``folder`` inside where it was unpacked."""
    return unpacked_folder(download(name), folder)


def read_data_nmt() -> str:
    """The text of ``fra-eng/fra.txt`` (d2l ``read_data_nmt``)."""
    return read_fra_text(download_extract("fra-eng"))


def preprocess_nmt(text: str) -> str:
    """Non-breaking spaces as spaces, lower case, a space before each ``, . !`` that
    follows a non-space (d2l 0.12.0 ``preprocess_nmt``: ``?`` keeps its place)."""
    return prepare_nmt_text(text, ",.!")


def build_array(lines, vocab, num_steps: int, is_source: bool):
    """Each sentence's indices (a target's between ``<bos>`` and ``<eos>``), cut or padded
    to ``num_steps``, and its valid length, as arrays (d2l 0.12.0 ``build_array``)."""
    check_counts(num_steps=num_steps)
    rows = [vocab[line] for line in lines]
    if not is_source:
        rows = [[vocab["<bos>"]] + row + [vocab["<eos>"]] for row in rows]
    array = np.array([truncate_pad(row, num_steps, vocab["<pad>"]) for row in rows])
    return array, (array != vocab["<pad>"]).sum(axis=1)


def load_data_nmt(batch_size: int, num_steps: int, num_examples: int = 1000):
    """``(src_vocab, tgt_vocab, data_iter)`` of the first pairs of the English-French data
    (d2l 0.12.0 ``load_data_nmt``): words seen at least three times, ``<pad> <bos> <eos>``
    reserved."""
    check_counts(batch_size=batch_size, num_steps=num_steps, num_examples=num_examples)
    text = preprocess_nmt(read_data_nmt())
    source, target = nmt_pairs(text, num_examples)
    reserved = ["<pad>", "<bos>", "<eos>"]
    src_vocab = Vocab(source, min_freq=3, reserved_tokens=reserved)
    tgt_vocab = Vocab(target, min_freq=3, reserved_tokens=reserved)
    src_array, src_valid_len = build_array(source, src_vocab, num_steps, True)
    tgt_array, tgt_valid_len = build_array(target, tgt_vocab, num_steps, False)
    data_iter = load_array((src_array, src_valid_len, tgt_array, tgt_valid_len), batch_size)
    return src_vocab, tgt_vocab, data_iter


class Seq2SeqEncoder(Encoder):
    """Embedding and an LSTM of ``num_layers`` (d2l 0.12.0 ``Seq2SeqEncoder``): outputs
    ``(seq_len, batch_size, num_hiddens)`` and the final hidden state and memory cell."""

    def __init__(self, vocab_size: int, embed_size: int, num_hiddens: int, num_layers: int,
                 dropout: float = 0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = rnn.LSTM(num_hiddens, num_layers, dropout=dropout)

    def forward(self, X, *args):
        X = self.embedding(X).swapaxes(0, 1)  # time steps first
        state = self.rnn.begin_state(batch_size=X.shape[1], ctx=X.ctx)
        return self.rnn(X, state)


class Seq2SeqDecoder(Decoder):
    """Embedding, an LSTM started from the encoder's final state and a dense layer (d2l
    0.12.0 ``Seq2SeqDecoder``): outputs ``(batch_size, seq_len, vocab_size)``."""

    def __init__(self, vocab_size: int, embed_size: int, num_hiddens: int, num_layers: int,
                 dropout: float = 0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = rnn.LSTM(num_hiddens, num_layers, dropout=dropout)
        self.dense = nn.Dense(vocab_size, flatten=False)

    def init_state(self, enc_outputs, *args):
        return enc_outputs[1]

    def forward(self, X, state):
        out, state = self.rnn(self.embedding(X).swapaxes(0, 1), state)
        return self.dense(out).swapaxes(0, 1), state


def train_s2s_ch9(model, data_iter, lr: float, num_epochs: int, ctx) -> None:
    """Train with Adam, the target shifted by one step as the decoder's input, the
    gradients clipped to 1, a point of the loss plot every 10 epochs, and print the last
    epoch's loss per token and speed (d2l 0.12.0 ``train_s2s_ch9``)."""
    check_counts(num_epochs=num_epochs)
    check_rates(lr=lr)
    model.initialize(init.Xavier(), force_reinit=True, ctx=ctx)
    trainer = gluon.Trainer(model.collect_params(), "adam", {"learning_rate": lr})
    loss = MaskedSoftmaxCELoss()
    animator = Animator(xlabel="epoch", ylabel="loss", xlim=[1, num_epochs], ylim=[0, 0.25])
    for epoch in range(1, num_epochs + 1):
        timer, metric = Timer(), Accumulator(2)  # loss summed, tokens
        for batch in data_iter:
            X, X_vlen, Y, Y_vlen = [x.as_in_ctx(ctx) for x in batch]
            Y_input, Y_label, Y_vlen = Y[:, :-1], Y[:, 1:], Y_vlen - 1
            with autograd.record():
                Y_hat, _ = model(X, Y_input, X_vlen, Y_vlen)
                l = loss(Y_hat, Y_label, Y_vlen)
            l.backward()
            grad_clipping(model, 1)
            num_tokens = Y_vlen.sum()
            trainer.step(num_tokens)
            metric.add(l.sum(), num_tokens)
        if epoch % 10 == 0:
            animator.add(epoch, (metric[0] / metric[1],))
    print("loss %.3f, %d tokens/sec on %s " % (metric[0] / metric[1], metric[1] / timer.stop(),
                                              ctx))


def predict_s2s_ch9(model, src_sentence: str, src_vocab, tgt_vocab, num_steps: int,
                    ctx) -> str:
    """Greedy translation of ``src_sentence`` (no ``<eos>`` appended to it), up to
    ``num_steps`` tokens or ``<eos>`` (d2l 0.12.0 ``predict_s2s_ch9``)."""
    check_counts(num_steps=num_steps)
    src_tokens = src_vocab[src_sentence.lower().split(" ")]
    enc_valid_len = np.array([len(src_tokens)], ctx=ctx)
    src_tokens = truncate_pad(src_tokens, num_steps, src_vocab["<pad>"])
    enc_X = np.expand_dims(np.array(src_tokens, ctx=ctx), axis=0)
    dec_state = model.decoder.init_state(model.encoder(enc_X, enc_valid_len), enc_valid_len)
    dec_X = np.expand_dims(np.array([tgt_vocab["<bos>"]], ctx=ctx), axis=0)
    predict_tokens = []
    for _ in range(num_steps):
        Y, dec_state = model.decoder(dec_X, dec_state)
        dec_X = Y.argmax(axis=2)
        token = dec_X.squeeze(axis=0).astype("int32").item()
        if token == tgt_vocab["<eos>"]:
            break
        predict_tokens.append(token)
    return " ".join(tgt_vocab.to_tokens(predict_tokens))
