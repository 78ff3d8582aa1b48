"""The data files gluon-rnn knows: each one's name, public source, SHA-1, published size
and the documented copies of the same data set in another file (data/README.md says
where each comes from). :mod:`~gluon_rnn.data.resolve` finds, fetches and checks them."""
from __future__ import annotations

import dataclasses
from typing import Optional, Tuple

__all__ = ["D2L_DATA_URL", "DATA_FILES", "DataFile"]


@dataclasses.dataclass(frozen=True)
class DataFile:
    """A public data file: its file name, where it comes from and its SHA-1."""

    name: str
    url: str
    sha1: Optional[str] = None
    description: str = ""
    size: Optional[int] = None  # bytes, when published: a download never grows past it
    # documented copies of the same data set in another file: (SHA-1, where it comes from);
    # a local copy with one of these is used (and said), a download must be the published
    alternatives: Tuple[Tuple[str, str], ...] = ()


D2L_DATA_URL = "http://d2l-data.s3-accelerate.amazonaws.com/"  # the d2l books' DATA_URL
_GH = "https://raw.githubusercontent.com/"

DATA_FILES = {f.name: f for f in (
    DataFile("timemachine.txt", D2L_DATA_URL + "timemachine.txt",
             "090b5e7e70c295757f55df93cb0a180b9691891a",
             "The Time Machine, cleaned text read by the d2l helpers", 178979),
    DataFile("timemachine-gutenberg.txt",
             _GH + "zackchase/mxnet-the-straight-dope/master/data/nlp/timemachine.txt",
             "0595ec37a9dce1cf0232256bea3f7a1408d20550",
             "The Time Machine as Project Gutenberg shipped it (The Straight Dope)", 217616),
    DataFile("tinyshakespeare.txt",
             _GH + "karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
             "04486597058d11dcc2c556b1d0433891eb639d2e",
             "tiny-shakespeare (Karpathy's char-rnn)", 1115394),
    DataFile("reddit-comments-2015-08.csv",
             _GH + "dennybritz/rnn-tutorial-rnnlm/master/data/reddit-comments-2015-08.csv",
             None,  # the full file's checksum is not published; the sample's differs
             "reddit comments used by the WildML RNNLM tutorial"),
    DataFile("trained-model-theano.npz",
             _GH + "dennybritz/rnn-tutorial-rnnlm/master/data/trained-model-theano.npz",
             "d22b9f164eb947bca107af59af0f2ffefcf00f52",
             "the WildML tutorial's published parameters", 3210520),
    DataFile("ptb.zip", D2L_DATA_URL + "ptb.zip",
             "319d85e578af0cdc590547f26231e4e31cdf1e42",
             "Penn Treebank language-model split", 1981551),
    DataFile("jaychou_lyrics.txt.zip",
             _GH + "d2l-ai/d2l-zh/v1.0.0/data/jaychou_lyrics.txt.zip",
             "9529987e701a4f37048ab778270a5dde9a762a0b",
             "Jay Chou lyrics (d2l-zh)", 52607),
    DataFile("fra-eng.zip", D2L_DATA_URL + "fra-eng.zip",
             "94646ad1522d915e7b0f9296181140edcf86a4f5",
             "English-French sentence pairs (Tatoeba; the books' machine translation)",
             alternatives=(("73848f36c17cc9c0187a058d6f7f315e68cdd61f",
                            "the same Tatoeba pairs in another zip, from the public repository "
                            "modelexlab/data (data/README.md)"),)),
)}
