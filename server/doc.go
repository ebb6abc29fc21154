// Package server serves the otplay playground over HTTP: the go-app
// handler for every route of ui.Routes (server-side rendered, then taken
// over by the wasm), the static files of the web root under /web/, a
// small JSON endpoint /api/info ({"name", "version", "pages"}), and the
// notebook API under /api/v1/ (below).
//
// # The web root
//
// Config.WebDir names a web root on disk (development: otplay serve --web
// web, after make wasm); empty, the server takes the one compiled into
// the binary (package web), which holds the playground only in a build
// with the playground tag (make build). New fails with ErrNoWasm or
// ErrNoPlayground, and says how to get the playground, otherwise. When
// app.wasm.gz exists and is not older than app.wasm, clients that accept
// gzip get it with Content-Encoding: gzip; when only app.wasm.gz exists
// (the embedded root), other clients get it decompressed. The
// X-Otplay-Wasm-Length header carries the uncompressed size so that the
// loader's progress stays right.
//
// The page head defines window.wasm (the instantiated module), which the
// WebGPU binding's Queue.WriteBuffer reads and go-app's loader does not
// provide, drops a trailing slash from the path (a static host serves
// /ot from ot/index.html by way of /ot/), and points the icons at local
// files (go-app's defaults are fetched from the internet). The app
// version, under which go-app's service worker caches the files, is
// derived from the web root's files unless Config.Version is set.
//
// # Keeping to itself
//
// Every response carries X-Content-Type-Options: nosniff and
// Referrer-Policy: same-origin; /embed/<page> may be framed by any page
// (Content-Security-Policy: frame-ancestors *) and everything else only by
// its own origin (frame-ancestors 'self', X-Frame-Options: SAMEORIGIN).
// The static routes answer GET and HEAD and 405 with Allow otherwise;
// paths under /api/ choose their own methods. Serve refuses (421) requests
// whose Host header is not an address of its listener (AllowedHosts:
// localhost, 127.0.0.1 and [::1] with the port, plus the real addresses
// for a non-loopback listener), which stops DNS rebinding, and sets
// ReadHeaderTimeout, ReadTimeout, WriteTimeout and IdleTimeout; a handler
// that needs longer extends its own deadlines with
// http.ResponseController, and one that hijacks its connection (a
// WebSocket) clears them.
//
// # Static export
//
// Export writes the whole playground as a static website: every route as
// a real file (ot/index.html, embed/ot/index.html), go-app's scripts, and
// the web root with app.wasm uncompressed. Config.Base ("/repo/") puts
// every link under a sub-path, for a GitHub Pages project site; the pages
// find their routes under it through go-app's GOAPP_ROOT_PREFIX
// (ui.RoutePath, ui.SiteURL).
//
// # The notebook API
//
// Under /api/v1/ (APIPrefix) otplay serve answers the batch commands over
// HTTP, for notebooks (the Python client in python/otplay speaks it) and
// scripts. The runs are package batch's, the same as the CLI's:
//
//	GET  /api/v1/         the endpoints with their defaults, what auto takes, the limits, in_flight
//	POST /api/v1/solve    otplay solve: sinkhorn, unbalanced, partial, divergence, sliced, exact
//	POST /api/v1/sliced   sliced W_p (p, default 2) with its per-direction values and directions (given or drawn)
//	POST /api/v1/sample   otplay sample (models empirical, gmm, and mlp uploaded)
//	POST /api/v1/bridge   otplay bridge
//
// Parameters are the CLI's flags as JSON keys (eps, method, tau, mass,
// iters, tol, backend, max_iter, final_denoise, ...; see the request types
// of package batch); left out, they take the CLI's defaults. Unknown keys
// are refused. bridge's times is a list or the CLI's string ("0,0.5,1").
// Point clouds (x, y; data; source, target, start) are data specs
// ("moons:512:seed=3") or arrays; weights (a, b) and sliced directions
// are arrays (solve's b may be an m x k matrix: k target histograms, one
// result per column in "columns"). The server reads no files: specs
// naming files (.npy, .npz, .csv, .txt, ...) are refused, and sample's
// model mlp takes the network file (written by otplay train) as the
// multipart part "model". solve's plan, potentials and grad are booleans
// asking for those arrays in the answer (grad: grad_x, grad_y, grad_a,
// grad_b); tau_a, tau_b, reg_type, max_pivots and directions are the
// CLI's --tau-a, --tau-b, --reg-type, --max-pivots, --directions. solve's
// p is the power of the ground cost |x - y|^p (POT's ot.dist(x, y,
// 'euclidean')**p; 2, the default, is |x - y|^2; for sliced the order of
// SW_p), and its cost, an n x m array (POT's M), replaces x and y.
//
// A request body is either a JSON object, with arrays as nested lists
// (n lists of d numbers, or one list for weights)
//
//	curl -s localhost:8080/api/v1/solve -H 'Content-Type: application/json' \
//	  -d '{"x": "moons:512:seed=3", "y": "8gaussians:512", "eps": 0.05, "backend": "cpu"}'
//	curl -s localhost:8080/api/v1/solve -H 'Content-Type: application/json' \
//	  -d '{"x": [[0, 0], [1, 0]], "y": [[0, 1], [1, 1]], "a": [0.3, 0.7], "eps": 0.1, "potentials": true}'
//
// or multipart/form-data with a "params" part (the JSON object) and one
// .npy part per array, read as the CLI reads .npy files (data.ReadNPY:
// float32/64 or int32/64, either byte order, C or Fortran order, 1-D or
// 2-D):
//
//	curl -s 'localhost:8080/api/v1/solve?format=npz' -o result.npz \
//	  -F 'params={"eps": 0.05, "plan": true}' -F x=@x.npy -F y=@y.npy
//
// The answer is JSON by default: the object the CLI prints with --json
// (cost, objective, marginal_error, iterations, converged, time_ms,
// notes, ...) with the arrays added as nested lists (solve: f, g, plan,
// grad_x, grad_y, grad_a, grad_b; sliced: per_direction, directions;
// sample: points; bridge: samples, times). As in the CLI
// (internal/jsonout), a non-finite number is null and listed under
// "nonfinite" by its JSON pointer, the arrays' too.
// With ?format=npz, or Accept: application/x-npz, it is an .npz file
// holding result.npy (the JSON text as a uint8 array:
// json.loads(bytes(z["result"]))) and one .npy per array. bridge's
// samples are stacked: len(times)*n rows of d values, the rows of
// times[k] being k*n to (k+1)*n-1.
//
// Errors are JSON, {"error": message, "status": code}, with the CLI's
// message ("--eps 0: must be positive and finite", "--x: data: bad
// input: npy: value 3 [1, 1] is NaN (not finite)"): 400 for a bad
// parameter or array, 404 for an unknown endpoint, 405 for another method
// than POST, 403 for a request from another origin (a browser's Origin or
// Sec-Fetch-Site header), 413 for a body over the limit, 415 for another
// content type, 503 when busy, 500 when a run fails.
//
// Limits (APIConfig): bodies up to 256 MiB; the CLI's limits on points
// (data.MaxPoints points and data.MaxElements values per set) and on
// every parameter; two runs at once and sixteen waiting, more answered
// 503 with Retry-After. A client that goes away cancels its run: the
// backend's next operation fails and the slot is freed. The "backend"
// parameter is the CLI's --backend (default auto: a hardware GPU, else
// cpu32, as batch.ChooseAuto decides); runs on the GPU share the
// process's one device, one run at a time.
//
// The commands otplay serve, export and app are thin wrappers.
package server
