"""The public d2l base: what several helper generations of the MXNet books share, in one
place each generation imports (and nothing imports a generation from here).

* :mod:`.devices`: ``try_gpu``, ``try_all_gpus``, ``cpu``, ``gpu``, ``num_gpus``;
* :mod:`.hub`: d2l's ``DATA_URL``, ``DATA_HUB`` entries and ``fetch`` (data files found
  through the resolver, verified);
* :mod:`.plotting`: ``set_figsize``, ``semilogy``, ``plot``, ``Animator``, the lazy ``plt``;
* :mod:`.loops`: ``sgd``, ``grad_clipping`` and the nd-era training loops (0.9.2,
  d2lzh 1.0.0, 0.8.7);
* :mod:`.from_start`: the iterators of d2lzh 1.0.0 and gluonbook 0.7.1 (no offset);
* :mod:`.classic`: the 4-tuple API of d2lzh 1.0.0 and 0.8.7 (:class:`Helpers`);
* :mod:`.numpy_api`: ``Timer``, ``Accumulator`` and the tensor aliases of the
  numpy-interface helpers (0.12.0, 0.17.6, 1.0.3);
* :mod:`.numpy_rnn`: the recurrent chapter's model, prediction, clipping and epoch on the
  numpy interface (0.11.1, 0.12.0, 0.17.6);
* :mod:`.translation`: the machine-translation pages' text preparation, padding, BLEU
  and pair-length histogram, the encoder-decoder interfaces (0.12.0, 0.17.6, 1.0.3).
"""
from .classic import *  # noqa: F403 - each part's public names, by its __all__
from .classic import __all__ as _classic
from .devices import *  # noqa: F403
from .devices import __all__ as _devices
from .from_start import *  # noqa: F403
from .from_start import __all__ as _from_start
from .hub import *  # noqa: F403
from .hub import __all__ as _hub
from .loops import *  # noqa: F403
from .loops import __all__ as _loops
from .numpy_api import *  # noqa: F403
from .numpy_api import __all__ as _numpy_api
from .numpy_rnn import *  # noqa: F403
from .numpy_rnn import __all__ as _numpy_rnn
from .plotting import *  # noqa: F403
from .plotting import __all__ as _plotting
from .translation import *  # noqa: F403
from .translation import __all__ as _translation

__all__ = [*_classic, *_devices, *_from_start, *_hub, *_loops, *_numpy_api, *_numpy_rnn, *_plotting,
           *_translation]
