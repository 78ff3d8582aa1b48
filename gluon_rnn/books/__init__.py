"""Running the MXNet-era books unmodified: which helper generation a chapter needs and
binding ``import d2l`` to its facade (:mod:`~.generations`), scripts, book pages and
notebooks (:mod:`~.chapter`, :mod:`~.pages`, :mod:`~.notebooks`), where their figures go
(:mod:`~.figures`) and the Jupyter kernel (:mod:`~.kernel`). It stands on the tutorials'
facades; nothing in the core or the tutorials imports it."""
