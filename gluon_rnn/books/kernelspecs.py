"""The kernels the JupyterLab of gluon-rnn's environment offers, after ``gluon-rnn kernel
install --default`` (``make jupyter``): Jupyter's own list, less the environment's stock
"python3" (plain ipykernel: no d2l, MXNet's GPU contexts refused).

The Straight Dope's notebooks name "python3" in their metadata. With that kernel gone,
JupyterLab opens them as it opens any notebook whose kernel it lacks: in the one kernel
of the notebook's language, else in the default kernel (ours), and with no dialog. Only
the Jupyter server reads this class (``ServerApp.kernel_spec_manager_class``); Jupyter's
clients (nbclient, the tests' stock kernel) keep the full list."""
from __future__ import annotations

from typing import Dict

from jupyter_client.kernelspec import NATIVE_KERNEL_NAME, KernelSpecManager


class BooksKernelSpecManager(KernelSpecManager):
    """Every installed kernel but the environment's own ``python3``."""

    def find_kernel_specs(self) -> Dict[str, str]:
        specs = super().find_kernel_specs()
        specs.pop(NATIVE_KERNEL_NAME, None)
        return specs
