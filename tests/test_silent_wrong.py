"""No silent wrong result (issue 33, class 3): every generation refuses what it would
train on wrongly (indices the vocabulary cannot have, a model sized for another
vocabulary, a rate or batch size that is no positive number); the generation a chapter
gets is read from its code, per module, never from its comments or strings."""
from __future__ import annotations

import mxnet as mx
import pytest

import d2l_compat
from gluon_rnn.books.generations import generation_of

SCRATCH_0176 = "from d2l import mxnet as d2l\ntrain_iter, vocab = d2l.load_data_time_machine(32, 35)\n"


@pytest.mark.parametrize("source, expected", [
    (SCRATCH_0176 + "# in d2l 1.0 this is d2l.Trainer(max_epochs=...).fit(model, data)\n",
     "0.17.6"),
    (SCRATCH_0176 + "note = 'see d2l.TimeMachine in the next edition'\n", "0.17.6"),
    (SCRATCH_0176 + "data = d2l.TimeMachine(batch_size=1024, num_steps=32)\n", "1.0.3"),
    ("from d2l import mxnet as book\ndata = book.TimeMachine(batch_size=1024, num_steps=32)\n",
     "1.0.3"),
    ("import d2l\nimport d2lzh\n(a, b, c, d) = d2lzh.load_data_jay_lyrics()\n"
     "corpus_indices, vocab = d2l.load_data_time_machine()\n", "0.9.2"),
    ("import d2l\n(a, b, c, d) = d2l.load_data_time_machine()\n", "0.8.7"),
    ("import d2l as book\n(a, b, c, d) = book.load_data_time_machine()\n", "0.8.7"),
    ("import d2l\n# (a, b, c, d) = d2l.load_data_time_machine() in the older book\n", "0.9.2"),
    ("import d2l\ns = '(a, b, c, d) = d2l.load_data_time_machine()'\n", "0.9.2"),
    ("# from d2l import mxnet as d2l\nimport d2l\n", "0.9.2"),
])
def test_the_generation_is_read_from_the_code(source, expected):
    assert generation_of(source) == expected


@pytest.fixture(scope="module")
def chapter_data():
    from conftest import require_data

    require_data("timemachine.txt")
    corpus, vocab = d2l_compat.load_data_time_machine(num_examples=2000)
    return corpus, vocab


def _train_092(corpus, vocab, **changes):
    args = dict(num_hiddens=8, corpus_indices=corpus, vocab=vocab, ctx=mx.cpu(),
                is_random_iter=True, num_epochs=1, num_steps=10, lr=1.0, clipping_theta=1.0,
                batch_size=4, prefixes=["the"])
    args.update(changes)
    size = len(vocab)
    get_params = lambda: d2l_compat.get_params(size, 8, size, mx.cpu())  # noqa: E731
    return d2l_compat.train_and_predict_rnn(d2l_compat.rnn, get_params,
                                            d2l_compat.init_rnn_state, **args)


@pytest.mark.parametrize("edit, said", [
    (lambda c, v: [-1] + c[1:], "holds the index -1"),
    (lambda c, v: [2.5] + c[1:], "whole token indices"),
    (lambda c, v: c[:-1] + [len(v)], "the vocabulary has"),
])
def test_d2l_0_9_2_refuses_indices_its_vocabulary_cannot_have(chapter_data, capsys, edit, said):
    corpus, vocab = chapter_data
    with pytest.raises(ValueError, match=said.replace(".", r"\.")):
        _train_092(edit(corpus, vocab), vocab)
    assert capsys.readouterr().out == ""  # refused before the first epoch


@pytest.mark.parametrize("lr, batch_size", [(0.1, 0), (-1.0, 4), (float("nan"), 4)])
def test_sgd_refuses_what_is_no_positive_number(lr, batch_size):
    param = mx.nd.ones((2,))
    param.attach_grad()
    with pytest.raises(ValueError, match="must be a positive finite number"):
        d2l_compat.sgd([param], lr, batch_size)
    assert param.asnumpy().tolist() == [1.0, 1.0]


@pytest.mark.parametrize("case", ["model for another vocabulary", "lr negative", "lr nan"])
def test_d2l_0_17_6_refuses_what_it_would_train_wrongly(case):
    from conftest import require_data

    require_data("timemachine.txt")
    import d2l0176_compat as d2l

    train_iter, vocab = d2l.load_data_time_machine(4, 10, max_tokens=2000)
    size = len(vocab) + (3 if case == "model for another vocabulary" else 0)
    # refused before the first minibatch: the model's functions are never called
    net = d2l.RNNModelScratch(size, 8, mx.cpu(), lambda *sizes: [], None, None)
    lr = {"lr negative": -1.0, "lr nan": float("nan")}.get(case, 1.0)
    with pytest.raises(ValueError, match="vocabulary has|positive finite number"):
        d2l.train_ch8(net, train_iter, vocab, lr, 1, mx.cpu())


@pytest.mark.parametrize("case", ["model for another vocabulary", "lr negative"])
def test_d2l_1_0_3_refuses_what_it_would_train_wrongly(case):
    from conftest import require_data

    require_data("timemachine.txt")
    import d2l103_compat as d2l

    data = d2l.TimeMachine(batch_size=8, num_steps=8, num_train=200, num_val=50)
    size = len(data.vocab) + (2 if case == "model for another vocabulary" else 0)
    rnn = d2l.RNNScratch(num_inputs=size, num_hiddens=8)
    model = d2l.RNNLMScratch(rnn, vocab_size=size, lr=-1.0 if case == "lr negative" else 1.0)
    trainer = d2l.Trainer(max_epochs=1, gradient_clip_val=1)
    with pytest.raises(ValueError, match="vocabulary has|positive finite number"):
        trainer.fit(model, data)


def test_figures_go_where_the_reader_named_them_before_the_chapter_moved(tmp_path, capsys,
                                                                           monkeypatch):
    from gluon_rnn.cli import main

    (tmp_path / "elsewhere").mkdir()
    script = tmp_path / "plot.py"
    script.write_text("import os\nos.chdir('elsewhere')\nimport matplotlib\n"
                      "matplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
                      "plt.plot([1, 2, 3])\n")
    monkeypatch.chdir(tmp_path)
    assert main(["chapter", "--figures", "figs", str(script)]) == 0
    assert [p.suffix for p in (tmp_path / "figs").iterdir()] == [".png"]
    assert not (tmp_path / "elsewhere" / "figs").exists()
    assert str(tmp_path / "figs") in capsys.readouterr().err


def test_rnnlm_refuses_a_rate_a_float32_model_takes_as_zero(tmp_path, capsys):
    from gluon_rnn.cli import main

    assert main(["rnnlm", "train", "--learning-rate", "1e-300", "--out",
                 str(tmp_path / "m.npz")]) == 2
    assert "outside float32's range" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_a_surrogate_in_a_models_characters_names_the_file(tmp_path):
    from gluon_rnn.tutorials import straight_dope as sd

    text = "the cat sat on the mat " * 20
    model = sd.new_model(text, 8, 0)
    path = tmp_path / "model.npz"
    sd.save_char_rnn(path, model.params, ["\ud800"] + list(model.characters)[1:])
    with pytest.raises(ValueError, match=f"^{path}: .*surrogate"):
        sd.load_char_rnn(path)


def test_a_figures_axis_label_is_inside_its_png(tmp_path):
    """A label below the canvas's edge (d2l's 3.5 x 2.5 inch figures, a long tick or a pad)
    was cut off the PNG; the picture now holds every label."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.image
    import matplotlib.pyplot as plt

    from gluon_rnn.books.figures import FigureSink

    figure = plt.figure(figsize=(3.5, 2.5), dpi=100)
    plt.plot([1, 2, 3])
    plt.xlabel("epoch", labelpad=40)  # below the canvas of a plain savefig
    sink = FigureSink(tmp_path, "page")
    sink.take(figure)
    plt.close(figure)
    pixels = matplotlib.image.imread(str(sink.written[0]))
    assert pixels.shape[0] > 250  # the canvas grew to hold the label
    bottom = pixels[-pixels.shape[0] // 8:, :, :3].min(axis=2)
    assert (bottom < 0.5).any()  # the label's ink is in the picture's last rows


@pytest.mark.parametrize("case, said", [
    ("num_steps 0", "num_steps"),
    ("more examples than lines", "beyond the 3 lines of fra.txt"),
    ("no tabs", "no tab-separated pair"),
    ("latin-1", "is not UTF-8"),
    ("damaged zip", "cannot unpack"),
])
def test_load_data_nmt_refuses_bad_input_in_one_line(tmp_path, monkeypatch, case, said):
    import hashlib
    import zipfile

    import d2l0176_compat as d2l

    text = {"no tabs": "go . va !\nhi . salut !\n",
            "latin-1": "caf\xe9\tcaf\xe9\n"}.get(case, "go .\tva !\nhi .\tsalut !\n")
    data = tmp_path / "data"
    data.mkdir()
    archive = data / "fra-eng.zip"
    if case == "damaged zip":
        archive.write_bytes(b"PK\x03\x04 not really a zip")
    else:
        with zipfile.ZipFile(archive, "w") as zipped:
            zipped.writestr("fra-eng/fra.txt", text.encode("latin-1" if case == "latin-1"
                                                           else "utf-8"))
    sha1 = hashlib.sha1(archive.read_bytes()).hexdigest()
    monkeypatch.setitem(d2l.DATA_HUB, "fra-eng", (d2l.DATA_URL + "fra-eng.zip", sha1))
    (tmp_path / "chapter").mkdir()
    monkeypatch.chdir(tmp_path / "chapter")
    sizes = dict(batch_size=2, num_steps=0 if case == "num_steps 0" else 4,
                 num_examples=50 if case == "more examples than lines" else 1)
    with pytest.raises(ValueError, match=said) as refused:
        d2l.load_data_nmt(**sizes)
    assert len(str(refused.value).splitlines()) == 1
