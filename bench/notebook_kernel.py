"""Seconds per epoch of the d2l 8.5 chapter code (512 hidden, 64 steps, batch 32, both
partitionings) as a notebook in gluon-rnn's Jupyter kernel, against the same code as a
script through ``gluon-rnn chapter``.

    python bench/notebook_kernel.py [--epochs N] [--repeats R] [--loads 0,1,2]

The code is ``tests/fixtures/chapter_8_5.py`` shortened as ``chapter_epoch.py`` does,
run three ways from the same chapter folder: the script (``gluon-rnn chapter
script.py``, the reference), the same code as a one-cell notebook through ``gluon-rnn
chapter nb.ipynb``, and that notebook executed by nbclient in the installed kernelspec
(``gluon-rnn kernel install``) with none of gluon-rnn's environment, as a Jupyter
started from a desktop starts it. Each figure is the best of ``--repeats`` runs, the
commands in turn under each load.

Target: each notebook path within 10% of the script (speed-up >= 0.9x), idle and busy.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from _harness import add_load_argument, competing, loads, python, result, run_child
from chapter_epoch import seconds_per_epoch, shortened_script

_NBCLIENT = """
import sys, nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(nb, kernel_name='gluon-rnn-d2l', timeout=None,
               resources={'metadata': {'path': sys.argv[2]}}).execute()
print(''.join(o.get('text', '') for c in nb.cells for o in c.get('outputs', [])))
"""


def write_notebook(script: Path) -> Path:
    import nbformat

    notebook = script.with_suffix(".ipynb")
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(script.read_text())]),
                   str(notebook))
    return notebook


def jupyter_env(folder: Path) -> dict:
    """A desktop Jupyter's environment: the kernelspec installed where it looks, no
    gluon-rnn settings (the kernel makes its own)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OMP_", "GLUON_RNN", "MXNET_", "OPENBLAS_", "MALLOC_"))}
    env["JUPYTER_DATA_DIR"] = str(folder / "jupyter")
    done = subprocess.run([python(), "-m", "gluon_rnn", "kernel", "install"], env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    env["JUPYTER_PATH"] = str(folder / "jupyter")
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=6, help="epochs per run (even)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each (the best counts)")
    add_load_argument(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        script = shortened_script(Path(tmp), args.epochs)
        notebook = write_notebook(script)
        env = jupyter_env(Path(tmp))
        commands = {
            "script": ([python(), "-m", "gluon_rnn", "chapter", str(script)], None),
            "notebook (gluon-rnn chapter)": ([python(), "-m", "gluon_rnn", "chapter",
                                              str(notebook)], None),
            "notebook (Jupyter's client, installed kernel)": (
                [python(), "-c", _NBCLIENT, str(notebook), str(script.parent)], env),
        }
        for load, processes in loads(args.loads):
            best = {name: {} for name in commands}
            with competing(processes):
                for _ in range(args.repeats):
                    for name, (argv, run_env) in commands.items():
                        found = seconds_per_epoch(run_child(argv, env=run_env, cwd=script.parent),
                                                  args.epochs)
                        for mode, seconds in found.items():
                            best[name][mode] = min(best[name].get(mode, float("inf")), seconds)
            reference = best.pop("script")
            for name, times in best.items():
                for mode in ("random", "consecutive"):
                    ratio = reference[mode] / times[mode]
                    print(f"{load:>18} {mode:>11}: script {reference[mode]:.3f} s/epoch, {name} "
                          f"{times[mode]:.3f} s/epoch (x{ratio:.2f})", flush=True)
                    result(f"chapter 8.5 code as a {name} ({mode})", times[mode], reference[mode],
                           "s/epoch", "the same code as a script, gluon-rnn chapter",
                           ">= 0.9x", ratio >= 0.9, load=load)


if __name__ == "__main__":
    sys.exit(main())
