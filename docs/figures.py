"""README's main-job figures and picture, from runs of ``make run``'s job: ``make figures``.

Runs the main job (``gluon-rnn compare`` with its defaults, in ``make run``'s
environment: the numbers do not depend on the load, gluon_rnn/threads.py) twice: on this
CPU as it is, and with oneDNN held to its AVX2 kernels (``DNNL_MAX_CPU_ISA=AVX2``, what an
AVX2-only CPU runs). It writes each run's final perplexities as a row of README's
figures table (keyed by the CPU and its vector width) and the first run's plot as
``docs/compare.png``. When README is right, nothing changes (the runs are exact), so a
clean tree stays clean. ``tests/test_readme.py`` runs the same job and checks README.
"""
from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, List, Optional, Tuple

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
START, END = "<!-- figures:start -->", "<!-- figures:end -->"
HEADER = ["| `make run` on | random: training | consecutive: training | random: validation | "
          "consecutive: validation |", "|---|---|---|---|---|"]
AVX2 = {"DNNL_MAX_CPU_ISA": "AVX2", "MKLDNN_MAX_CPU_ISA": "AVX2"}
Finals = Dict[str, Tuple[float, float]]  # iterator: (training, validation) perplexity


def run_main_job(out: Path, isa: Optional[Dict[str, str]] = None) -> Finals:
    """Final (training, validation) perplexity of each partitioning, from compare.csv."""
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS",) + tuple(AVX2)}
    subprocess.run([sys.executable, "-m", "gluon_rnn", "compare", "--no-progress",
                    "--overwrite", "--out", str(out)], check=True, cwd=ROOT,
                   env=dict(env, **(isa or {})), stdout=subprocess.DEVNULL)
    with open(out / "compare.csv") as f:
        rows = list(csv.DictReader(f))
    last = max(int(r["epoch"]) for r in rows)
    return {r["iterator"]: (float(r["perplexity"]), float(r["valid_perplexity"]))
            for r in rows if int(r["epoch"]) == last}


def cpu() -> Tuple[str, str]:
    """This CPU's model name and vector width (what oneDNN's kernels follow)."""
    model, flags = "unknown CPU", ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name") and model == "unknown CPU":
                    model = line.split(":", 1)[1].strip()
                elif line.startswith("flags"):
                    flags = line
    except OSError:
        pass
    return model, "AVX-512" if " avx512f" in flags else "AVX2" if " avx2" in flags else "no AVX2"


def label(model: str, isa: str, held_to_avx2: bool = False) -> str:
    return f"{model}, {isa}" + (", oneDNN held to AVX2 (as an AVX2-only CPU)" if held_to_avx2
                                else "")


def row(name: str, finals: Finals) -> str:
    (r_train, r_valid), (c_train, c_valid) = finals["random"], finals["consecutive"]
    return f"| {name} | {r_train:.4f} | {c_train:.4f} | {r_valid:.4f} | {c_valid:.4f} |"


def quoted(readme: str) -> Dict[str, Finals]:
    """README's figures table: the finals quoted for each CPU label."""
    block = re.search(re.escape(START) + r"\n(.*?)\n" + re.escape(END), readme, re.S)
    if not block:
        raise SystemExit(f"README.md has no figures table ({START} ... {END})")
    table: Dict[str, Finals] = {}
    for line in block.group(1).splitlines()[len(HEADER):]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        r_train, c_train, r_valid, c_valid = map(float, cells[1:])
        table[cells[0]] = {"random": (r_train, r_valid), "consecutive": (c_train, c_valid)}
    return table


def updated(readme: str, rows: List[str]) -> str:
    """README with ``rows`` replacing those of the same CPU labels (others kept)."""
    labels = {r.split("|")[1].strip() for r in rows}
    kept = [row(name, finals) for name, finals in quoted(readme).items() if name not in labels]
    block = "\n".join(HEADER + kept + rows)
    return re.sub(re.escape(START) + r"\n.*?\n" + re.escape(END),
                  lambda _: f"{START}\n{block}\n{END}", readme, flags=re.S)


def main() -> None:
    model, isa = cpu()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        finals = run_main_job(Path(tmp))
        shutil.copy(Path(tmp) / "compare.png", ROOT / "docs" / "compare.png")
        rows.append(row(label(model, isa), finals))
        if isa == "AVX-512":
            rows.append(row(label(model, isa, True), run_main_job(Path(tmp), AVX2)))
    text = README.read_text()
    new = updated(text, rows)
    if new != text:
        README.write_text(new)
    print("\n".join(HEADER + rows))
    print("README.md " + ("updated" if new != text else "already quotes these figures"))


if __name__ == "__main__":
    main()
