"""How much memory a configuration needs, checked before anything is allocated.

Without this check a request such as ``--num-hiddens 1000000`` or
``--num-layers 100000`` reaches MXNet, which either refuses deep inside its
allocator (a C++ traceback) or starts allocating gigabytes and swapping; the
estimate here answers at once, with the sizes that were asked for."""
from __future__ import annotations

from ..blas import available_bytes
from .config import TrainConfig

GATES = {"scratch": 1, "rnn": 1, "gru": 3, "lstm": 4}


def parameter_count(config: TrainConfig, vocab_size: int) -> int:
    """The number of values in the model's parameters (Gluon's layout: two biases
    per gate and layer; the scratch model has one)."""
    hidden, gates = config.num_hiddens, GATES[config.model]
    output = hidden * vocab_size + vocab_size
    if config.model == "scratch":
        return vocab_size * hidden + hidden * hidden + hidden + output

    def layer(width: int) -> int:  # i2h and h2h weights, their two biases
        return gates * hidden * (width + hidden) + 2 * gates * hidden
    layers = layer(config.embed_size or vocab_size) + (config.num_layers - 1) * layer(hidden)
    return layers + output + config.embed_size * vocab_size


def training_bytes(config: TrainConfig, vocab_size: int, num_contexts: int = 1) -> int:
    """About how many bytes training needs: float32 parameters, gradients and the
    optimizer's state on every context, and one minibatch's activations (inputs,
    every layer's gates, the output scores and their gradients)."""
    copies = 2 + (2 if config.optimizer == "adam" else 0)
    params = parameter_count(config, vocab_size) * 4 * copies * num_contexts
    tokens = config.batch_size * config.num_steps
    per_token = (config.embed_size or vocab_size) + 3 * vocab_size \
        + 2 * config.num_layers * config.num_hiddens * (GATES[config.model] + 1)
    return params + tokens * per_token * 4


def check_bytes(need: int, what: str, options: str) -> None:
    """Refuse ``what`` (e.g. "the rnn model of 1x256 over 45 tokens") when it needs more
    than the available memory, naming the ``options`` that make it smaller."""
    have = available_bytes()
    if need > have:
        raise ValueError(f"{what} needs about {need / 2**30:.3g} GiB; {have / 2**30:.3g} GiB is "
                         f"available: choose smaller sizes ({options})")


def check_memory(config: TrainConfig, vocab_size: int, num_contexts: int = 1) -> None:
    """Refuse, with the sizes, a configuration that needs more memory than is available."""
    check_bytes(training_bytes(config, vocab_size, num_contexts),
                f"the {config.model} model of {config.num_layers}x{config.num_hiddens} over "
                f"{vocab_size} tokens (batch {config.batch_size} x {config.num_steps} steps)",
                "--num-hiddens, --num-layers, --embed-size, --batch-size")
