"""The notebook API client: requests, answers, and the local server."""

import atexit
import html
import io
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import numpy as np

API = "/api/v1/"


class OtplayError(Exception):
    """A request otplay refused or could not run.

    ``message`` is the command line's message (the same text ``otplay
    solve`` prints), ``status`` the HTTP status (400 for bad input, 0 when
    the server could not be reached or started).
    """

    def __init__(self, message, status=0):
        super().__init__(message)
        self.message = message
        self.status = status


class Result:
    """The answer of one run: the fields of the command's --json object as
    attributes (``cost``, ``objective``, ``marginal_error``, ...; ``fields``
    holds them as a dict) and the arrays (numpy) as attributes too.
    Fields the command leaves out (such as ``value`` outside divergence
    and sliced) are None."""

    def __init__(self, fields, arrays):
        self.fields = dict(fields)
        self.arrays = dict(arrays)
        for k, v in self.fields.items():
            setattr(self, k, v)
        for k, v in self.arrays.items():
            setattr(self, k, v)

    def __getattr__(self, name):
        # Only called for attributes that were not set.
        if name.startswith("_"):
            raise AttributeError(name)
        return None

    def __repr__(self):
        keys = ", ".join(f"{k}={v!r}" for k, v in self.fields.items() if not isinstance(v, (list, dict)))
        arrs = ", ".join(f"{k}: {v.shape}" for k, v in self.arrays.items())
        return f"Result({keys}; arrays {arrs or 'none'})"


def _npy(a):
    """a as .npy: float32 stays float32, anything else becomes float64."""
    a = np.asarray(a)
    a = np.ascontiguousarray(a, dtype=np.float32 if a.dtype == np.float32 else np.float64)
    buf = io.BytesIO()
    np.save(buf, a, allow_pickle=False)
    return buf.getvalue()


def _json_scalar(o):
    """numpy scalars (np.int64, np.bool_, ...) as Python numbers."""
    if isinstance(o, np.generic):
        return o.item()
    raise TypeError(f"parameter value {o!r} of type {type(o).__name__} is not a number, string or list")


def _multipart(params, arrays):
    """Encodes params (JSON) and arrays (.npy parts) as multipart/form-data."""
    boundary = "otplay-" + uuid.uuid4().hex
    out = io.BytesIO()

    def part(name, filename, ctype, body):
        out.write(f"--{boundary}\r\n".encode())
        disp = f'form-data; name="{name}"'
        if filename:
            disp += f'; filename="{filename}"'
        out.write(f"Content-Disposition: {disp}\r\nContent-Type: {ctype}\r\n\r\n".encode())
        out.write(body)
        out.write(b"\r\n")

    try:
        text = json.dumps(params, allow_nan=False, default=_json_scalar)
    except ValueError:
        bad = ", ".join(f"{k}={v}" for k, v in params.items() if isinstance(v, float) and not np.isfinite(v))
        raise OtplayError(f"parameters must be finite numbers (JSON has no inf or nan): {bad}; "
                          "for tau = inf (balanced) use method='sinkhorn'") from None
    part("params", None, "application/json", text.encode())
    for name, a in arrays.items():
        if isinstance(a, bytes):  # a file sent as it is (sample's model)
            part(name, name, "application/octet-stream", a)
        else:
            part(name, name + ".npy", "application/octet-stream", _npy(a))
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), "multipart/form-data; boundary=" + boundary


_TEXT_EXTS = (".csv", ".txt", ".tsv", ".dat")
_FILE_EXTS = _TEXT_EXTS + (".npy", ".npz")


def _is_point_file(spec):
    """Whether a spec names a file (the extensions the CLI reads)."""
    return spec.strip().lower().endswith(_FILE_EXTS)


def _load_file(name, path):
    """Reads a point or weight file here, as the CLI would read it, to send
    it as an array: text (.csv, .txt, .tsv, .dat: one point per row,
    commas or white space, a header line skipped), .npy, or .npz holding
    one array."""
    path = path.strip()
    low = path.lower()
    try:
        if low.endswith(".npy"):
            return np.load(path, allow_pickle=False)
        if low.endswith(".npz"):
            with np.load(path, allow_pickle=False) as z:
                if len(z.files) != 1:
                    raise ValueError(f"the archive holds {len(z.files)} arrays ({', '.join(z.files)}); want one")
                return z[z.files[0]]
        delim = "," if low.endswith(".csv") else None
        try:
            return np.loadtxt(path, delimiter=delim, ndmin=2)
        except ValueError:
            return np.loadtxt(path, delimiter=delim, ndmin=2, skiprows=1)
    except (OSError, ValueError) as e:
        raise OtplayError(f"--{name}: {path}: {e}") from None


def _points(name, v, params, arrays):
    """A point cloud: a data spec (str) goes into params; an array, or a
    .npy/.csv file (read here: the server reads no files), into arrays."""
    if v is None:
        return
    if isinstance(v, str) and not _is_point_file(v):
        params[name] = v
        return
    a = _load_file(name, v) if isinstance(v, str) else np.asarray(v)
    if a.dtype.kind not in "fiub":
        raise OtplayError(f"--{name}: want a numeric array or a data spec string, not {a.dtype}")
    if a.ndim not in (1, 2):
        raise OtplayError(f"--{name}: want a 1-D or 2-D array (n points x d), not shape {a.shape}")
    arrays[name] = a


def _vector(name, v, arrays):
    """Weights or directions: an array, or a .npy/.csv file read here."""
    if v is None:
        return
    arrays[name] = _load_file(name, v) if isinstance(v, str) else np.asarray(v)


class _LocalServer:
    """An ``otplay serve`` this process started, stopped at exit."""

    def __init__(self, binary, timeout=60.0):
        self.log = tempfile.TemporaryFile()
        last = ""
        for _ in range(3):
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            self.url = f"http://127.0.0.1:{port}"
            args = [binary, "serve", "--addr", f"127.0.0.1:{port}"]
            if os.environ.get("OTPLAY_WEB"):
                args += ["--web", os.environ["OTPLAY_WEB"]]
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.log)
            atexit.register(self.stop)
            if self._wait(timeout):
                return
            self.stop()
            self.log.seek(0)
            last = self.log.read().decode(errors="replace").strip()
            self.log.seek(0)
            self.log.truncate()
            if "address already in use" not in last:
                break
        hint = ""
        if "web root" in last or "app.wasm" in last:
            hint = " (a binary without the embedded playground needs OTPLAY_WEB=<repository>/web, built by make wasm)"
        raise OtplayError(f"could not start {' '.join(args)}: {last or 'no answer'}{hint}")

    def _wait(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(self.url + API, timeout=2) as r:
                    if r.status == 200:
                        return True
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.05)
        return False

    def stop(self):
        p = self.proc
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


class Client:
    """A connection to otplay's notebook API.

    ``url``: a running ``otplay serve`` (default ``$OTPLAY_URL``). Without
    one, the first request starts ``otplay serve`` (``binary``, default
    ``$OTPLAY_BIN`` or ``otplay`` on the PATH) on a free loopback port and
    stops it when Python exits. ``timeout`` bounds one request (None:
    wait as long as the run takes).
    """

    def __init__(self, url=None, binary=None, timeout=None):
        self._url = (url or os.environ.get("OTPLAY_URL") or "").rstrip("/") or None
        self._binary = binary
        self._server = None
        self._lock = threading.Lock()
        self.timeout = timeout

    @property
    def url(self):
        """The server's base URL, starting a local server if there is none."""
        with self._lock:
            if self._url is None:
                binary = self._binary or os.environ.get("OTPLAY_BIN") or shutil.which("otplay")
                if not binary:
                    raise OtplayError("no otplay server: set OTPLAY_URL to a running 'otplay serve', or OTPLAY_BIN (or PATH) to the otplay binary")
                self._server = _LocalServer(binary)
                self._url = self._server.url
            return self._url

    def close(self):
        """Stops the server this client started, if any."""
        if self._server is not None:
            self._server.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _post(self, endpoint, params, arrays):
        params = {k: v for k, v in params.items() if v is not None}
        body, ctype = _multipart(params, arrays)
        req = urllib.request.Request(self.url + API + endpoint + "?format=npz", data=body, method="POST",
                                     headers={"Content-Type": ctype, "Accept": "application/x-npz"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as r:
                payload = r.read()
        except urllib.error.HTTPError as e:
            text = e.read().decode(errors="replace")
            try:
                msg = json.loads(text)["error"]
            except (ValueError, KeyError, TypeError):
                msg = text.strip() or e.reason
            raise OtplayError(msg, e.code) from None
        except (TimeoutError, socket.timeout) as e:
            raise OtplayError(f"no answer from {self.url} within {self.timeout} s ({e}); the server stops the run") from None
        except urllib.error.URLError as e:
            if isinstance(e.reason, (TimeoutError, socket.timeout)):
                raise OtplayError(f"no answer from {self.url} within {self.timeout} s; the server stops the run") from None
            raise OtplayError(f"otplay server at {self.url} unreachable: {e.reason}") from None
        with np.load(io.BytesIO(payload), allow_pickle=False) as z:
            fields = json.loads(bytes(z["result"]).decode())
            arrs = {k: z[k] for k in z.files if k != "result"}
        return fields, arrs

    def solve(self, x=None, y=None, a=None, b=None, method="sinkhorn", eps=None, backend="auto", plan=False,
              cost=None, p=None, grad=False, directions=None, cx=None, cy=None, **options):
        """Optimal transport between the clouds x and y (otplay solve).

        method: sinkhorn, unbalanced (``tau``), partial (``mass``),
        divergence, sliced (``projections``, ``seed``) or exact. eps is
        POT's reg (None: the CLI's default, 0.01). a, b: weights
        (default uniform; normalised for the balanced methods). Other
        options are the CLI's flags: tier, tau, mass, iters, tol, scaling,
        symmetric, seed, projections, tau_a, tau_b and reg_type
        (unbalanced: POT's reg_m pair and reg_type, "entropy" or "kl"),
        max_pivots (exact: POT's numItermax).

        Ground cost (POT's conventions): p, the power of |x - y| (None or
        2: squared Euclidean, POT's ot.dist(x, y); 1: ot.dist(x, y,
        'euclidean'); any p in (0, 16]: ot.dist(x, y, 'euclidean')**p),
        for sinkhorn, unbalanced, partial and exact (for sliced, the order
        of SW_p). cost: a dense n x m
        cost matrix (POT's M; an array or a .npy/.csv file read here) in
        place of x and y, for sinkhorn, unbalanced, partial and exact.

        Returns a Result with the fields of ``otplay solve --json`` and
        ``f``, ``g`` (the potentials: GeomLoss's convention for the
        entropic methods; for exact, POT's centred ``log['u']``,
        ``log['v']`` of ``ot.emd``) and ``plan`` (n x m, when plan=True).
        b may be an m x k array (k target histograms, POT's b as a
        matrix): ``columns`` then lists each column's cost, objective,
        iterations and convergence (no potentials, plan or grad).
        sliced takes ``p`` (SW_p, default 2) and ``directions`` (L x d,
        rows scaled to unit length) as in ``sliced``.
        grad=True (sinkhorn, divergence, exact) adds ``grad_x`` (n x d),
        ``grad_y`` (m x d), ``grad_a`` (n) and ``grad_b`` (m): the
        gradient of the value (OT_eps or S) by the envelope theorem, the
        weight parts centred (the potentials minus their means); for p
        != 2, grad_x sums P_ij p |x_i - y_j|^(p-2) (x_i - y_j); with
        cost=M only grad_a and grad_b (points have no meaning there).
        method="gromov": entropic Gromov-Wasserstein
        (ot.gromov.entropic_gromov_wasserstein(2), square loss) between x
        and y, which may differ in dimension; cx (n x n) and cy (m x m) are
        the intra-set costs (default squared Euclidean); iters and tol
        bound the outer loop (POT: 1000 and 1e-9); ``objective`` is POT's
        gw_dist and ``plan`` the coupling (no potentials).
        """
        params = dict(options, method=method, eps=eps, backend=backend, plan=bool(plan), grad=bool(grad),
                      potentials=method not in ("sliced", "gromov"), p=p)
        arrays = {}
        if cost is None and (x is None or y is None):
            raise OtplayError("solve: give the clouds x and y, or a cost matrix cost=M")
        if cost is not None:
            if isinstance(cost, str) and not _is_point_file(cost):
                raise OtplayError(f"--cost {cost!r}: want an n x m array or a .npy/.csv file")
            _points("cost", cost, params, arrays)
        _points("x", x, params, arrays)
        _points("y", y, params, arrays)
        for name, c in (("cx", cx), ("cy", cy)):
            if c is not None:
                arrays[name] = _load_file(name, c) if isinstance(c, str) else np.asarray(c, dtype=float)
        _vector("a", a, arrays)
        _vector("b", b, arrays)
        _vector("directions", directions, arrays)
        if "b" in arrays and arrays["b"].ndim == 2 and min(arrays["b"].shape) > 1:
            params["potentials"] = False  # k target histograms: no potentials
        return Result(*self._post("solve", params, arrays))

    def sliced(self, x, y, a=None, b=None, projections=None, seed=None, directions=None, backend="auto", p=None):
        """The sliced Wasserstein distance SW_p (POT's
        sliced_wasserstein_distance with p, default 2).

        directions: an L x d array of directions (POT's ``projections``
        transposed), each row scaled to unit length (zero rows refused);
        default: ``projections`` (200) directions drawn uniformly on the
        sphere with ``seed``. The Result has ``value`` (SW_p), ``cost``
        (SW_p^p), ``p``, ``stderr``, ``per_direction`` (L: W_p^p) and
        ``directions`` (L x d, those used).
        """
        params = {"projections": projections, "seed": seed, "backend": backend, "p": p}
        arrays = {}
        _points("x", x, params, arrays)
        _points("y", y, params, arrays)
        _vector("a", a, arrays)
        _vector("b", b, arrays)
        _vector("directions", directions, arrays)
        return Result(*self._post("sliced", params, arrays))

    def sample(self, data="8gaussians:2000", n=None, model="empirical", sampler="dpmpp2m", steps=None, backend="auto", **options):
        """Diffusion sampling from N(0, I) noise (otplay sample).

        data: the data set (array or spec) the model is built from; model:
        empirical, gmm or mlp:FILE (a network trained by ``otplay train``;
        the file is read here and uploaded); sampler: ddpm, ddim, dpmpp2m, dpmpp3m, dpmpp2s,
        heun, euler-maruyama, ode-adaptive. Other options are the CLI's
        flags: schedule, spacing, seed, eta, deterministic, rtol, atol,
        final_denoise, quality (compare with fresh data; default True),
        churn (heun), corrector (none, langevin, tweedie, adaptive),
        corrector_steps, snr, threshold (dynamic thresholding percentile),
        threshold_bound, score_scale,
        class_ (sent as ``class``: sample class K of labelled data) and
        guidance (classifier-free guidance weight W, eps_uncond + W
        (eps_cond - eps_uncond): 0 unconditional, 1 the class (default),
        > 1 guided; an mlp model must come from ``otplay train
        --conditional``); batch_ot (sliced or full: FastSB-OT's batch OT
        sampling, the noise moved towards a target batch first) with
        batch_ot_target (an n x d array, .npy/.csv file or data spec),
        batch_ot_as_state and batch_ot_projections.

        Returns a Result with the fields of ``otplay sample --json`` and
        ``points`` (n x d).
        """
        params = dict(options, n=n, model=model, sampler=sampler, steps=steps, backend=backend)
        if "class_" in params:
            params["class"] = params.pop("class_")
        arrays = {}
        _points("data", data, params, arrays)
        _points("batch_ot_target", params.pop("batch_ot_target", None), params, arrays)
        kind, _, path = model.partition(":")
        if kind == "mlp" and path:
            try:
                with open(path, "rb") as f:
                    arrays["model"] = f.read()
            except OSError as e:
                raise OtplayError(f"--model: {e}") from None
        return Result(*self._post("sample", params, arrays))

    def bridge(self, source="gaussian:1000:seed=1", target="moons:1000", sigma=None, mode="static", times=None, n=None, backend="auto", **options):
        """Schrodinger bridge samples between source (t = 0) and target
        (t = 1) (otplay bridge): mode static (plan + Brownian bridges) or
        sde (simulated drift; ``steps``, ``start``). Other options: seed,
        max_iter, tol, quality.

        Returns a Result with the fields of ``otplay bridge --json``,
        ``times`` (k) and ``samples`` (k x n x d: the points at times[i]).
        """
        params = dict(options, sigma=sigma, mode=mode, n=n, backend=backend)
        if times is not None:
            params["times"] = [float(t) for t in np.atleast_1d(times)]
        arrays = {}
        _points("source", source, params, arrays)
        _points("target", target, params, arrays)
        _points("start", params.pop("start", None), params, arrays)
        fields, arrs = self._post("bridge", params, arrays)
        k = len(arrs["times"])
        arrs["samples"] = arrs["samples"].reshape(k, -1, arrs["samples"].shape[-1])
        return Result(fields, arrs)

    def info(self):
        """The API's index: its endpoints with their parameters' defaults
        (the CLI's), what backend "auto" takes on this server and why, the
        limits, and ``in_flight`` (runs computing or waiting)."""
        return self._get_json(API)

    def show(self, page="ot", width=800, height=560, **state):
        """A live view of a playground page for Jupyter: an iframe of
        ``/embed/<page>`` with ``state`` as its URL parameters (the page's
        own: for /ot x, y (data set names), n, m, seed, eps, method, tau,
        mass, tier, k, steps, backend). Arrays cannot travel in the URL
        and are refused."""
        info = self._get_json("/api/info")
        pages = [p.strip("/") for p in info.get("pages", [])]
        page = page.strip("/")
        if not pages:
            raise OtplayError(f"the otplay server at {self.url} serves the notebook API only (a binary built without "
                              "the playground): show needs the binary of make build, or OTPLAY_WEB=<repository>/web")
        if page not in pages:
            raise OtplayError(f"no page {page!r} (pages: {', '.join(p for p in pages if p)})")
        query = {}
        for k, v in state.items():
            if isinstance(v, (np.ndarray, list, tuple)):
                raise OtplayError(f"show: {k} is an array; a page's URL state holds data set names and sizes only "
                                  f"(e.g. {k}='moons'); compute on arrays with otplay.solve")
            query[k] = str(v).lower() if isinstance(v, bool) else str(v)
        url = f"{self.url}/embed/{page}" + ("?" + urllib.parse.urlencode(query) if query else "")
        return View(url, width, height)

    def _get_json(self, path):
        try:
            with urllib.request.urlopen(self.url + path, timeout=30) as r:
                return json.loads(r.read().decode())
        except urllib.error.URLError as e:
            raise OtplayError(f"otplay server at {self.url}: {e}") from None


class View:
    """An embedded playground view; Jupyter shows its _repr_html_."""

    def __init__(self, url, width, height):
        self.url, self.width, self.height = url, width, height

    def _repr_html_(self):
        return (f'<iframe src="{html.escape(self.url, quote=True)}" width="{int(self.width)}" '
                f'height="{int(self.height)}" style="border: 0" allow="fullscreen"></iframe>')

    def __repr__(self):
        return f"View({self.url})"


_default = None
_default_lock = threading.Lock()


def default_client():
    """The Client the module-level functions use (created on first use)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Client()
        return _default


def solve(x=None, y=None, a=None, b=None, method="sinkhorn", eps=None, backend="auto", plan=False, cost=None, p=None, **options):
    return default_client().solve(x, y, a=a, b=b, method=method, eps=eps, backend=backend, plan=plan, cost=cost, p=p, **options)


def sliced(x, y, a=None, b=None, projections=None, seed=None, directions=None, backend="auto", p=None):
    return default_client().sliced(x, y, a=a, b=b, projections=projections, seed=seed, directions=directions, backend=backend, p=p)


def sample(data="8gaussians:2000", n=None, model="empirical", sampler="dpmpp2m", steps=None, backend="auto", **options):
    return default_client().sample(data=data, n=n, model=model, sampler=sampler, steps=steps, backend=backend, **options)


def bridge(source="gaussian:1000:seed=1", target="moons:1000", sigma=None, mode="static", times=None, n=None, backend="auto", **options):
    return default_client().bridge(source=source, target=target, sigma=sigma, mode=mode, times=times, n=n, backend=backend, **options)


def show(page="ot", width=800, height=560, **state):
    return default_client().show(page, width=width, height=height, **state)


def info():
    return default_client().info()


solve.__doc__ = Client.solve.__doc__
sliced.__doc__ = Client.sliced.__doc__
sample.__doc__ = Client.sample.__doc__
bridge.__doc__ = Client.bridge.__doc__
show.__doc__ = Client.show.__doc__
info.__doc__ = Client.info.__doc__
