"""otplay from Python: optimal transport, diffusion sampling and
Schrodinger bridges computed by the otplay binary, on this machine's GPU
or CPU, through the notebook API of ``otplay serve``.

Standard library and numpy only. Importable with ``PYTHONPATH=python``
from the repository root.

    import numpy as np, otplay
    x, y = np.random.rand(500, 2), np.random.rand(400, 2) + 0.5
    r = otplay.solve(x, y, eps=0.05, plan=True)
    r.cost, r.objective, r.marginal_error, r.iterations, r.converged
    r.f, r.g, r.plan          # numpy arrays (n,), (m,), (n, m)

The functions (solve, sliced, sample, bridge) take the command line's
parameter names as keywords (``tau``, ``mass``, ``iters``, ``tol``,
``scaling``, ``max_iter``, ...) and return a Result whose attributes are
the fields of the command's ``--json`` object plus the arrays. Point
clouds are numpy arrays (n x d; a 1-D array is n points in 1-D), data
specs such as ``"moons:512:seed=3"``, or files (.npy, .npz, .csv, .txt,
.tsv, .dat), which the client reads and sends (the server reads no files); ``model="mlp:FILE"``
uploads a network trained by ``otplay train``. The conventions are POT's: the cost
is |x - y|^2 (no 1/2), ``eps`` is POT's ``reg`` and the plan is that of
``ot.sinkhorn(a, b, M, eps, method="sinkhorn_log")``.

Which server: ``$OTPLAY_URL`` when set (e.g. ``http://127.0.0.1:8080``,
a running ``otplay serve``); otherwise the first call starts ``otplay
serve`` on a free loopback port, with the binary from ``$OTPLAY_BIN`` or
the PATH (and ``--web $OTPLAY_WEB`` when that is set), waits until it
answers, and stops it when Python exits. A binary built without the
playground (a plain ``go build``) serves the API only: everything but
``show`` works with it.

Errors: a refused request raises OtplayError carrying the command line's
message and the HTTP status (``OtplayError("--x: data: bad input: npy:
value 3 [1, 1] is NaN (not finite)")``).

``otplay.show("ot", x="moons", eps=0.2)`` returns a view that Jupyter
displays as an iframe of the playground's ``/embed/ot`` page, its state in
the URL. Limit: the pages' URL state names built-in data sets and sizes
(x, y, n, m, seed, ...); it cannot carry points, so arrays are refused
with an OtplayError.
"""

from ._client import (
    Client,
    OtplayError,
    Result,
    View,
    bridge,
    default_client,
    info,
    sample,
    show,
    sliced,
    solve,
)

__all__ = [
    "Client",
    "OtplayError",
    "Result",
    "View",
    "bridge",
    "default_client",
    "info",
    "sample",
    "show",
    "sliced",
    "solve",
]
