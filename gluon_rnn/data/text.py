"""Tokenisers: characters, words, and sentences (NLTK Punkt without a download).

Every corpus reader and tutorial tokenises here: the d2l helpers read characters,
``gluon-rnn train --level word`` reads :func:`word_tokens`, the WildML pipeline
splits sentences with :func:`sentence_splitter` and words with
:func:`treebank_words` (NLTK's Treebank-style tokenizer, as the tutorial does).
"""
from __future__ import annotations

import logging
import re
from typing import Callable, List

LOG = logging.getLogger(__name__)
_WORD = re.compile(r"[a-z0-9']+|[^\sa-z0-9']")


def char_tokens(text: str) -> List[str]:
    """The characters of ``text``, one token each (the d2l helpers' tokens)."""
    return list(text)


def word_tokens(text: str) -> List[str]:
    """Lower-cased words (letters, digits, apostrophes) and single punctuation marks."""
    return _WORD.findall(text.lower())


def treebank_words() -> Callable[[str], List[str]]:
    """NLTK's Treebank-style word tokenizer (what the WildML tutorial uses), built once."""
    from nltk.tokenize import NLTKWordTokenizer

    return NLTKWordTokenizer().tokenize


def sentence_splitter(train_text: str = "") -> Callable[[str], List[str]]:
    """NLTK Punkt's English model when its data is installed, else a Punkt model
    trained on ``train_text`` (no ``nltk.download``)."""
    import nltk
    from nltk.tokenize import PunktSentenceTokenizer

    try:
        from nltk.tokenize import PunktTokenizer  # nltk >= 3.8.2 reads punkt_tab
        return PunktTokenizer("english").tokenize
    except (ImportError, LookupError, OSError):
        pass
    try:
        return nltk.data.load("tokenizers/punkt/english.pickle").tokenize
    except (LookupError, OSError, ValueError) as err:
        LOG.info("no installed Punkt model (%s); training one on the corpus", type(err).__name__)
    return PunktSentenceTokenizer(train_text).tokenize

