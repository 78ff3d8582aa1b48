"""Stops at the edges (issue 33, class 2): Ctrl-C or SIGTERM while the command line is
still loading is one line and 130/143; one that lands in an object's finalizer (MXNet's
arrays' __del__, where Python drops an exception) is sent again once it returned."""
from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from gluon_rnn import signals


@pytest.mark.parametrize("how, status, said", [(signal.SIGINT, 130, "interrupted"),
                                               (signal.SIGTERM, 143, "terminated (SIGTERM)")])
def test_a_stop_while_the_command_line_loads_is_one_line(how, status, said):
    """The entry point handles stops before it imports the command line; the import is
    slowed here (a module that sleeps, first on the path) so the stop always lands in it."""
    code = ("import sys, time, types\n"
            "class Slow:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name == 'gluon_rnn.cli':\n"
            "            print('loading', flush=True); time.sleep(30)\n"
            "sys.meta_path.insert(0, Slow())\n"
            "from gluon_rnn.console import main\n"
            "sys.exit(main())\n")
    proc = subprocess.Popen([sys.executable, "-c", code, "--help"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "loading\n"
    proc.send_signal(how)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == status, err
    assert err.strip().splitlines() == [f"gluon-rnn: {said}"], err


def test_a_stop_in_a_finalizer_is_sent_again_after_it(monkeypatch):
    frames = []

    class Probe:
        def __del__(self):
            frames.append(sys._getframe())

    Probe()  # collected at once: its finalizer ran
    sent = []
    monkeypatch.setattr(signals.os, "kill", lambda pid, signum: sent.append(signum))
    for handler, signum in ((signals._terminate, signal.SIGTERM),
                            (signals._interrupt, signal.SIGINT)):
        handler(signum, frames[0])  # inside __del__: not raised there
    deadline = time.time() + 5
    while len(sent) < 2 and time.time() < deadline:
        time.sleep(0.01)
    assert sorted(sent) == sorted([signal.SIGTERM, signal.SIGINT])
    with pytest.raises(signals.Terminated):
        signals._terminate(signal.SIGTERM, sys._getframe())  # anywhere else: raised at once
    with pytest.raises(KeyboardInterrupt):
        signals._interrupt(signal.SIGINT, None)
