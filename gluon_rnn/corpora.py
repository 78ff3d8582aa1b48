"""Finding, fetching, verifying and reading the corpora the four seeds use.

One resolver serves every data file. It looks, in order, at

1. an explicit ``path`` argument (a file, or a folder holding the file),
2. every folder in ``$GLUON_RNN_DATA`` (``os.pathsep``-separated),
3. ``./data`` and ``../data`` (the d2l convention: chapter scripts run from a
   chapter folder and read ``../data/timemachine.txt``),
4. the user cache (``$GLUON_RNN_CACHE``, else ``$XDG_CACHE_HOME/gluon-rnn``,
   else ``~/.cache/gluon-rnn``),

and only then, unless ``download=False`` or ``$GLUON_RNN_OFFLINE`` is set,
downloads the file from its public source into the cache, showing a progress
bar and checking its SHA-1, as ``mxnet.gluon.utils.download`` and gluonnlp do.
A download goes to a temporary file in the cache folder and is renamed into
place only once complete and verified, so no partial file is ever left behind.
"""
from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import urllib.request
from pathlib import Path
from typing import List, Optional, Sequence, Union

from ._files import atomic_write

LOG = logging.getLogger(__name__)

DATA_ENV = "GLUON_RNN_DATA"
CACHE_ENV = "GLUON_RNN_CACHE"
OFFLINE_ENV = "GLUON_RNN_OFFLINE"


@dataclasses.dataclass(frozen=True)
class DataFile:
    """A public data file: its file name, where it comes from and its SHA-1."""

    name: str
    url: str
    sha1: Optional[str] = None
    description: str = ""


_S3 = "http://d2l-data.s3-accelerate.amazonaws.com/"
_GH = "https://raw.githubusercontent.com/"

DATA_FILES = {f.name: f for f in (
    DataFile("timemachine.txt", _S3 + "timemachine.txt",
             "090b5e7e70c295757f55df93cb0a180b9691891a",
             "The Time Machine, cleaned text read by the d2l helpers"),
    DataFile("timemachine-gutenberg.txt",
             _GH + "zackchase/mxnet-the-straight-dope/master/data/nlp/timemachine.txt",
             "0595ec37a9dce1cf0232256bea3f7a1408d20550",
             "The Time Machine as Project Gutenberg shipped it (The Straight Dope)"),
    DataFile("tinyshakespeare.txt",
             _GH + "karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
             "04486597058d11dcc2c556b1d0433891eb639d2e",
             "tiny-shakespeare (Karpathy's char-rnn)"),
    DataFile("reddit-comments-2015-08.csv",
             _GH + "dennybritz/rnn-tutorial-rnnlm/master/data/reddit-comments-2015-08.csv",
             None,  # the full file's checksum is not published; the sample's differs
             "reddit comments used by the WildML RNNLM tutorial"),
    DataFile("trained-model-theano.npz",
             _GH + "dennybritz/rnn-tutorial-rnnlm/master/data/trained-model-theano.npz",
             "d22b9f164eb947bca107af59af0f2ffefcf00f52",
             "the WildML tutorial's published parameters"),
    DataFile("ptb.zip", _S3 + "ptb.zip",
             "319d85e578af0cdc590547f26231e4e31cdf1e42",
             "Penn Treebank language-model split"),
    DataFile("jaychou_lyrics.txt.zip",
             _GH + "d2l-ai/d2l-zh/v1.0.0/data/jaychou_lyrics.txt.zip",
             "9529987e701a4f37048ab778270a5dde9a762a0b",
             "Jay Chou lyrics (d2l-zh)"),
)}


class ChecksumError(ValueError):
    """A downloaded file's SHA-1 differs from the published one."""


def default_cache_dir() -> Path:
    """The user cache folder for downloaded corpora."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache")
    return Path(base).expanduser() / "gluon-rnn"


def search_dirs(cache_dir: Optional[Path] = None) -> List[Path]:
    """The folders searched for a data file, in order (explicit path excluded)."""
    dirs = [Path(p).expanduser() for p in os.environ.get(DATA_ENV, "").split(os.pathsep) if p]
    dirs += [Path("data"), Path("..") / "data"]
    dirs.append(Path(cache_dir) if cache_dir is not None else default_cache_dir())
    return dirs


def sha1_of(path: Union[str, Path], chunk_size: int = 1 << 20) -> str:
    """Hex SHA-1 of a file, read in chunks."""
    digest = hashlib.sha1()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _lookup(name: Union[str, DataFile]) -> DataFile:
    if isinstance(name, DataFile):
        return name
    if name in DATA_FILES:
        return DATA_FILES[name]
    raise ValueError(f"unknown data file {name!r}; known files: {', '.join(sorted(DATA_FILES))}. "
                     "Pass path= to read a file of your own.")


def _offline() -> bool:
    return os.environ.get(OFFLINE_ENV, "").strip().lower() not in ("", "0", "false", "no")


def resolve(name: Union[str, DataFile], path: Union[str, Path, None] = None, *,
            download: bool = True, cache_dir: Union[str, Path, None] = None,
            progress: bool = True, timeout: float = 30.0) -> Path:
    """Return the local path of a data file, finding or downloading it.

    ``name`` is a key of :data:`DATA_FILES` (``'timemachine.txt'``) or a
    :class:`DataFile`. An explicit ``path`` that names no existing file or folder
    is an error rather than a silent fall-back to another copy.

    Raises ``FileNotFoundError`` naming every place tried and the URL when the
    file is nowhere and cannot be downloaded, and :class:`ChecksumError` when a
    download does not match its SHA-1 (the partial file is deleted).
    """
    entry = _lookup(name)
    if path is not None:
        path = Path(path).expanduser()
        if path.is_file():
            return path
        if not path.is_dir():
            raise FileNotFoundError(f"{path} does not exist (it was given as the path of {entry.name})")
        candidates = [path]
    else:
        candidates = []
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    candidates += search_dirs(cache)
    for folder in candidates:
        found = folder / entry.name
        if found.is_file():
            LOG.debug("found %s at %s", entry.name, found)
            return found
    tried = "\n  ".join(str(folder / entry.name) for folder in candidates)
    hint = (f"Set {DATA_ENV} to a folder holding {entry.name}, put it in ./data or ../data, "
            f"or download it from {entry.url}")
    if not download or _offline():
        raise FileNotFoundError(f"{entry.name} not found; looked in:\n  {tried}\n"
                                f"Downloads are off. {hint}")
    try:
        return download_file(entry.url, cache / entry.name, entry.sha1,
                             progress=progress, timeout=timeout)
    except OSError as err:  # URLError, refused connections, cut-off transfers
        raise FileNotFoundError(f"{entry.name} not found; looked in:\n  {tried}\n"
                                f"and the download from {entry.url} failed ({err}). {hint}") from err


def _progress_bar(total: Optional[int], name: str, enabled: bool):
    from tqdm.auto import tqdm
    return tqdm(total=total, unit="B", unit_scale=True, desc=f"downloading {name}",
                disable=not enabled, leave=False)


def download_file(url: str, dest: Union[str, Path], sha1: Optional[str] = None, *,
                  progress: bool = True, timeout: float = 30.0) -> Path:
    """Download ``url`` to ``dest`` atomically and verify its SHA-1.

    The bytes go to a temporary file beside ``dest``, renamed to ``dest`` only
    when the transfer is complete (as long as the server's Content-Length says)
    and the checksum matches; on any failure the temporary file is removed.
    """
    def fetch(tmp: Path) -> None:
        digest = hashlib.sha1()
        with open(tmp, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as resp:
            length = resp.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            received = 0
            with _progress_bar(total, Path(dest).name, progress) as bar:
                for chunk in iter(lambda: resp.read(1 << 16), b""):
                    out.write(chunk)
                    digest.update(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
        if total is not None and received != total:
            raise OSError(f"transfer of {url} was cut off after {received} of {total} bytes")
        if sha1 is not None and digest.hexdigest() != sha1:
            raise ChecksumError(f"{url} has SHA-1 {digest.hexdigest()}, expected {sha1}; "
                                "the download was deleted. The source may have changed or the "
                                "transfer was corrupted: try again, or fetch the file by hand.")

    atomic_write(dest, fetch)
    LOG.info("downloaded %s to %s", url, dest)
    return Path(dest)


def read_text(name: Union[str, DataFile], path: Union[str, Path, None] = None,
              encoding: str = "utf-8") -> str:
    """Resolve a data file and return its text, with a clear error for bad bytes."""
    return read_file_text(resolve(name, path), encoding)


def read_file_text(file: Path, encoding: str = "utf-8") -> str:
    """A file's text, with a one-line error naming the file for bytes that do not decode."""
    try:
        return Path(file).read_text(encoding=encoding)
    except UnicodeDecodeError as err:
        raise ValueError(f"{file} is not {encoding} text ({err.reason} at byte {err.start})") from err


def time_machine_text(num_examples: Optional[int] = 10000,
                      path: Union[str, Path, None] = None) -> str:
    """The Time Machine as d2l 0.9.2 prepares it: lines joined, lower-cased,
    runs of whitespace collapsed to one space, cut to ``num_examples`` chars
    (``None`` keeps the whole book)."""
    raw = read_text("timemachine.txt", path)
    text = " ".join(" ".join(raw.split("\n")).lower().split())
    return text if num_examples is None else text[:num_examples]


def available(names: Sequence[str] = tuple(DATA_FILES)) -> List[tuple]:
    """(name, local path or None) for each known data file, without downloading."""
    rows = []
    for name in names:
        try:
            rows.append((name, resolve(name, download=False)))
        except FileNotFoundError:
            rows.append((name, None))
    return rows


def load_data_time_machine(num_examples: int = 10000, path: Union[str, Path, None] = None):
    """``d2l.load_data_time_machine`` (0.9.2): the first ``num_examples``
    characters of the prepared Time Machine and their character vocabulary.

    Returns ``(corpus_indices, vocab)``; 44 tokens (with ``<unk>``) for the
    default 10,000 characters. Unlike d2l, the file is found through
    :func:`resolve` instead of the fixed path ``../data/timemachine.txt``.
    """
    corpus_indices, vocab, _ = load_data_time_machine_split(num_examples, 0, path)
    return corpus_indices, vocab


def load_data_time_machine_split(num_examples: int = 10000, valid_examples: int = 0,
                                 path: Union[str, Path, None] = None):
    """``(corpus_indices, vocab, valid_indices)``: the training part equals
    :func:`load_data_time_machine`'s; the next ``valid_examples`` characters of the
    book are held out, indexed with the training vocabulary (unseen characters
    become ``<unk>``)."""
    from ._checks import check_counts
    from .vocab import Vocab

    check_counts(num_examples=num_examples)
    if valid_examples:
        check_counts(valid_examples=valid_examples)
    text = time_machine_text(num_examples + valid_examples, path)
    vocab = Vocab(text[:num_examples])
    return ([vocab[char] for char in text[:num_examples]], vocab,
            [vocab[char] for char in text[num_examples:]])


GUTENBERG_END_MARKER = "End of Project Gutenberg"
CHAR_CORPORA = {"timemachine": "timemachine-gutenberg.txt", "tinyshakespeare": "tinyshakespeare.txt"}


def strip_gutenberg_licence(text: str) -> str:
    """Cut Project Gutenberg's trailing licence: everything from the last
    ``End of Project Gutenberg`` marker on, and the blank lines before it (the
    Straight Dope seed cut a fixed 38,083 characters; for its file this is the same)."""
    index = text.rfind(GUTENBERG_END_MARKER)
    return text if index < 0 else text[:index].rstrip()


def load_char_corpus(corpus: str = "timemachine") -> str:
    """The text of a character corpus for The Straight Dope char-RNN (seed 002):
    ``'timemachine'`` (Gutenberg edition, licence trimmed), ``'tinyshakespeare'``,
    or the path of any UTF-8 text file (a Gutenberg licence in it is trimmed too)."""
    if corpus in CHAR_CORPORA:
        text = read_text(CHAR_CORPORA[corpus])
    else:
        text = read_file_text(_existing_file(corpus, CHAR_CORPORA))
    text = strip_gutenberg_licence(text)
    if len(text) < 2:
        raise ValueError(f"corpus {corpus!r} holds {len(text)} characters; it needs at least 2")
    return text


def _existing_file(path: str, names: Sequence[str]) -> Path:
    file = Path(path).expanduser()
    if not file.is_file():
        raise FileNotFoundError(f"corpus {path!r} is neither one of {', '.join(names)} "
                                "nor an existing file")
    return file


TRAIN_CORPORA = ("timemachine", "tinyshakespeare", "ptb")
LEVELS = ("char", "word")


@dataclasses.dataclass
class TokenCorpus:
    """A corpus cut into training, validation and (where it has one) test tokens.

    The vocabulary is built from ``train`` alone; held-out tokens it lacks map to
    ``<unk>``. ``level`` is ``'char'`` or ``'word'``.
    """

    name: str
    level: str
    train: List[str]
    valid: List[str]
    test: List[str]


def word_tokens(text: str) -> List[str]:
    """Lower-cased words (letters, digits, apostrophes) and single punctuation marks."""
    import re

    return re.findall(r"[a-z0-9']+|[^\sa-z0-9']", text.lower())


def _ptb_split(split: str, level: str) -> List[str]:
    """One split of the Penn Treebank (Mikolov's ``ptb.zip``): words with ``<eos>``
    ending each line, or the characters of its lines with ``\\n`` kept."""
    import zipfile

    with zipfile.ZipFile(resolve("ptb.zip")) as archive:
        text = archive.read(f"ptb/ptb.{split}.txt").decode("utf-8")
    if level == "char":
        return list(text)
    return [token for line in text.split("\n") for token in line.split() + ["<eos>"]
            if line.strip() or token != "<eos>"]


def _held_out(tokens: List[str], valid_fraction: float):
    cut = len(tokens) - int(len(tokens) * valid_fraction)
    return tokens[:cut], tokens[cut:]


def load_token_corpus(corpus: str = "timemachine", level: str = "char",
                      valid_fraction: float = 0.1) -> TokenCorpus:
    """The corpus of ``gluon-rnn train``: ``'timemachine'`` (the whole book prepared
    as d2l does: lower case, whitespace collapsed), ``'tinyshakespeare'``, ``'ptb'``
    (its own validation and test files) or the path of a UTF-8 text file. The others
    hold out their last ``valid_fraction`` as validation text (contiguous, never
    trained on) and have no test split."""
    from ._checks import check_choice

    check_choice("level", level, LEVELS)
    if not 0 < valid_fraction < 1:
        raise ValueError(f"valid_fraction must be between 0 and 1, got {valid_fraction}")
    if corpus == "ptb":
        return TokenCorpus(corpus, level, *(_ptb_split(s, level) for s in ("train", "valid", "test")))
    if corpus == "timemachine":
        text = time_machine_text(None)
    elif corpus == "tinyshakespeare":
        text = read_text("tinyshakespeare.txt")
    else:
        text = strip_gutenberg_licence(read_file_text(_existing_file(corpus, TRAIN_CORPORA)))
    tokens = list(text) if level == "char" else word_tokens(text)
    train, valid = _held_out(tokens, valid_fraction)
    if len(train) < 2 or len(valid) < 2:
        raise ValueError(f"corpus {corpus!r} holds {len(tokens)} {level} tokens: too few to "
                         f"hold out {valid_fraction:.0%} for validation and still train")
    return TokenCorpus(corpus, level, train, valid, [])
