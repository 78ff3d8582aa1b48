"""The machine-translation, encoder-decoder and seq2seq pages of the 2020-2022 books
(``d2l==0.17.6``, ``chapter_recurrent-modern``): the Tatoeba pairs as minibatches, the
encoder-decoder interfaces, the GRU encoder, the masked loss, training and greedy
prediction.

As d2l's: the same vocabularies, batches (Gluon's ``DataLoader`` shuffling from numpy's
global generator), initial parameters, losses, predictions and printed line. Minus its
crashes: ``num_steps`` below 1, a text with no pair, more examples asked for than the
file holds, a damaged archive or a file that is not UTF-8 is one error naming it; the
data come through gluon-rnn's resolver (a documented copy of ``fra-eng.zip`` is used and
said), unpacked beside the archive or, where that cannot be written, in the cache.
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
    EncoderDecoder,
    MaskedSoftmaxCELoss,
    Timer,
    load_array,
    nmt_pairs,
    preprocess_nmt,
    read_fra_text,
    truncate_pad,
    unpacked_folder,
)
from .rnn import Vocab, download, grad_clipping

__all__ = ["Decoder", "Encoder", "EncoderDecoder", "MaskedSoftmaxCELoss", "Seq2SeqEncoder",
           "build_array_nmt", "download_extract", "load_data_nmt", "predict_seq2seq",
           "read_data_nmt", "train_seq2seq"]


def download_extract(name: str, folder=None) -> str:
    """The folder of ``DATA_HUB[name]``'s archive once unpacked (d2l ``download_extract``),
    or ``folder`` inside where it was unpacked."""
    return unpacked_folder(download(name), folder)


def read_data_nmt() -> str:
    """The text of ``fra-eng/fra.txt`` (d2l ``read_data_nmt``)."""
    return read_fra_text(download_extract("fra-eng"))


def build_array_nmt(lines, vocab, num_steps: int):
    """Each sentence's indices with ``<eos>``, cut or padded to ``num_steps``, and its
    valid length (the tokens that are not ``<pad>``), as arrays (d2l ``build_array_nmt``)."""
    check_counts(num_steps=num_steps)
    rows = [truncate_pad(vocab[line] + [vocab["<eos>"]], num_steps, vocab["<pad>"])
            for line in lines]
    array = np.array(rows)
    valid_len = (array != vocab["<pad>"]).astype(np.int32).sum(axis=1)
    return array, valid_len


def load_data_nmt(batch_size: int, num_steps: int, num_examples: int = 600):
    """``(data_iter, src_vocab, tgt_vocab)`` of the first pairs of the English-French data
    (d2l ``load_data_nmt``): words seen at least twice, ``<pad> <bos> <eos>`` reserved."""
    check_counts(batch_size=batch_size, num_steps=num_steps, num_examples=num_examples)
    text = preprocess_nmt(read_data_nmt())
    source, target = nmt_pairs(text, num_examples)
    reserved = ["<pad>", "<bos>", "<eos>"]
    src_vocab = Vocab(source, min_freq=2, reserved_tokens=reserved)
    tgt_vocab = Vocab(target, min_freq=2, reserved_tokens=reserved)
    src_array, src_valid_len = build_array_nmt(source, src_vocab, num_steps)
    tgt_array, tgt_valid_len = build_array_nmt(target, tgt_vocab, num_steps)
    data_iter = load_array((src_array, src_valid_len, tgt_array, tgt_valid_len), batch_size)
    return data_iter, src_vocab, tgt_vocab


class Seq2SeqEncoder(Encoder):
    """Embedding and a GRU of ``num_layers`` (d2l ``Seq2SeqEncoder``): outputs
    ``(num_steps, batch_size, num_hiddens)`` and the final state."""

    def __init__(self, vocab_size: int, embed_size: int, num_hiddens: int, num_layers: int,
                 dropout: float = 0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = rnn.GRU(num_hiddens, num_layers, dropout=dropout)

    def forward(self, X, *args):
        X = self.embedding(X).swapaxes(0, 1)  # time steps first
        state = self.rnn.begin_state(batch_size=X.shape[1], ctx=X.ctx)
        return self.rnn(X, state)


def train_seq2seq(net, data_iter, lr: float, num_epochs: int, tgt_vocab, device) -> None:
    """Train with Adam and teacher forcing, the gradients clipped to 1, a point of the loss
    plot every 10 epochs, and print the last epoch's loss per token and speed (d2l
    ``train_seq2seq``)."""
    check_counts(num_epochs=num_epochs)
    check_rates(lr=lr)
    net.initialize(init.Xavier(), force_reinit=True, ctx=device)
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": lr})
    loss = MaskedSoftmaxCELoss()
    animator = Animator(xlabel="epoch", ylabel="loss", xlim=[10, num_epochs])
    for epoch in range(num_epochs):
        timer, metric = Timer(), Accumulator(2)  # loss summed, tokens
        for batch in data_iter:
            X, X_valid_len, Y, Y_valid_len = [x.as_in_ctx(device) for x in batch]
            bos = np.array([tgt_vocab["<bos>"]] * Y.shape[0], ctx=device).reshape(-1, 1)
            dec_input = np.concatenate([bos, Y[:, :-1]], 1)  # teacher forcing
            with autograd.record():
                Y_hat, _ = net(X, dec_input, X_valid_len)
                l = loss(Y_hat, Y, Y_valid_len)
            l.backward()
            grad_clipping(net, 1)
            num_tokens = Y_valid_len.sum()
            trainer.step(num_tokens)
            metric.add(l.sum(), num_tokens)
        if (epoch + 1) % 10 == 0:
            animator.add(epoch + 1, (metric[0] / metric[1],))
    print(f"loss {metric[0] / metric[1]:.3f}, {metric[1] / timer.stop():.1f} "
          f"tokens/sec on {str(device)}")


def predict_seq2seq(net, src_sentence: str, src_vocab, tgt_vocab, num_steps: int, device,
                    save_attention_weights: bool = False):
    """Greedy translation of ``src_sentence``, up to ``num_steps`` tokens or ``<eos>``, and
    the decoder's attention weights at each step when asked (d2l ``predict_seq2seq``)."""
    check_counts(num_steps=num_steps)
    src_tokens = src_vocab[src_sentence.lower().split(" ")] + [src_vocab["<eos>"]]
    enc_valid_len = np.array([len(src_tokens)], ctx=device)
    src_tokens = truncate_pad(src_tokens, num_steps, src_vocab["<pad>"])
    enc_X = np.expand_dims(np.array(src_tokens, ctx=device), axis=0)
    dec_state = net.decoder.init_state(net.encoder(enc_X, enc_valid_len), enc_valid_len)
    dec_X = np.expand_dims(np.array([tgt_vocab["<bos>"]], ctx=device), axis=0)
    output_seq, attention_weight_seq = [], []
    for _ in range(num_steps):
        Y, dec_state = net.decoder(dec_X, dec_state)
        dec_X = Y.argmax(axis=2)
        pred = dec_X.squeeze(axis=0).astype("int32").item()
        if save_attention_weights:
            attention_weight_seq.append(net.decoder.attention_weights)
        if pred == tgt_vocab["<eos>"]:
            break
        output_seq.append(pred)
    return " ".join(tgt_vocab.to_tokens(output_seq)), attention_weight_seq
