// Package ui is the otplay playground's user interface: go-app v10
// components that compile natively (for server-side rendering, the static
// export and tests) and for GOOS=js (the wasm the browser runs).
//
// # Pages
//
// A page is a Page value given to Register from an init function: its
// route ("/check"), its nav title, a one-line summary for the gallery, the
// Schema of its URL state and a constructor for its component. Routes
// registers "/" (the Gallery), every page and every page's bare embed view
// "/embed/<page>" with go-app; the wasm main and the server both call it,
// since go-app needs the same routes on both sides. A page component
// learns that it is embedded from IsEmbed(ctx.Page().URL()) and then
// renders without nav and form.
//
// # URL state
//
// A page's parameters live in its URL, so that every view is a link. A
// Schema lists them (KindInt, KindFloat, KindChoice, with bounds and a
// canonical default); Schema.Decode turns query values into a State,
// keeping defaults where a value is bad and returning an error that names
// each bad parameter; State.Encode writes the canonical query (sorted,
// defaults left out), State.With changes one value with validation, and
// Schema.Validate also flags unknown keys (for scripted embedders).
// Changing parameters navigates to the new URL; OnNav recomputes.
//
// # Backends
//
// OpenBackend(pref) opens the compute backend a page computes with, once
// per preference ("auto", "gpu", "cpu": the BackendParam every computing
// page carries), shared by all pages. In the browser it opens the GPU
// through the opener the browser main registers (SetWebGPUOpener:
// wasm/main.go passes compute/webgpu over gpu.Open, one adapter request;
// ui imports no gpu/ code) and names the adapter; whenever that fails it returns the float64 CPU backend
// (compute.NewCPU(1): the wasm has one thread) with the reason, which the
// layout's badge shows: "WebGPU: <adapter>" or "CPU (<reason>)". It
// awaits JavaScript promises, so pages call it inside ctx.Async, never in
// an event handler or Render; results come back through ctx.Dispatch.
//
// A lost GPU device (the opener's WebGPU.Lost channel delivers, fed by
// gpu.Device.LostChan when the device's lost promise settles, or an operation
// fails with compute.ErrDeviceLost: IsDeviceLost) is reported to
// BackendLost, which gives every preference that computed on it the CPU
// backend, with the reason ("the WebGPU device was lost (destroyed: ...);
// computing on the CPU") on the badge, and tells the pages that listen
// (onBackendLost): /ot starts its run again on the CPU, /sliced computes
// again. window.otplayGPUDevice.destroy() simulates a loss.
//
// # Layout and plots
//
// Layout is the one page skeleton: nav, title, backend badge (and, on a
// CPU fallback the reader did not ask for, WebGPUAdvice: what happened and
// what to do in this browser), then the picture first: a side panel
// (Layout.Panel, with the page's Tours above it; a drawer behind a
// Settings button below 760 px) beside the main column, which opens with
// the active tour's caption, the Progress of a phase in work ("Fitting the
// entropic prior ...", "Training the denoising network: 300 of 1000 Adam
// steps") and then the page's main view. Forms come from one system,
// paramForm: parameters grouped (Param.Group), basic first and
// Param.Advanced ones in a collapsed "More" part, each with its human
// label (Param.Label), a slider where a range makes sense (Param.Slider,
// Param.Log), its formula typeset in MathML (Param.Math) and its one-line
// Param.Help; a control whose Param.ShownWhen does not hold is not drawn
// (tau only for unbalanced OT). Each page registers 3-5 Tours: named URL
// states with a two-sentence caption. web/otplay.css keeps every page
// usable at phone width (390 px). Plot is a <canvas> component that draws a Figure
// (point sets, line sets with per-segment opacity for transport plans,
// curves for charts with optional log-y, heatmaps through the Viridis
// scale) with the 2-D canvas API after each render. The drawing is written
// once against the small Canvas2D interface: plot_js.go implements it over
// CanvasRenderingContext2D (syscall/js), and Recorder records the calls
// so that native tests check what would be drawn.
//
// # Keyboard
//
// Space plays and pauses, the right arrow steps, on every page whose Step,
// Play and Pause buttons come from button (ids "step", "play", "pause":
// they carry data-key, the opt-in). One document-wide listener clicks the
// enabled button, so the page's handler runs as for a mouse click; keys
// typed into form fields are left alone (see KeyPlay).
//
// # Export
//
// exportBar gives a page its export controls: a PNG of each canvas view
// (canvas.toDataURL) and data files built in the background and then
// downloaded, with #export-status saying what was saved or why not. /ot
// exports ot-points.csv (set, index, x, y, weight, potential F or G),
// ot-plan.csv (i, j, p: every entry when n*m <= OTDenseExport, else the
// OTExportTopK largest of each row) and ot.json (OTExport: the URL state,
// the summary, points, weights, potentials and plan). /sliced exports
// sliced-points.csv (with the projections on the shown direction),
// sliced-plan.csv (that direction's monotone plan) and sliced.json
// (SlicedExport).
//
// # Results for scripts and tests, and the postMessage API
//
// A page publishes its result as JSON: window.otplayResult, a window
// event "otplay:result", and, when embedded in an iframe, a postMessage
// {type: "otplay:result", page, result} to the parent ("page" is the
// page's path, "/ot", also from "/embed/ot"). The end-to-end tests
// (package e2e) read window.otplayResult.
//
// An embedding page scripts the view with postMessage:
//
//	{type: "otplay:set", state: {eps: 0.2, n: 300}}  merge into the state and recompute
//	{type: "otplay:set", query: "eps=0.2&n=300"}     the same, as a query string
//	{..., replace: true}                             start from the defaults instead
//	{type: "otplay:get"}                             answer with the latest result
//	{type: "otplay:play"}, {type: "otplay:pause"},   press the page's Play, Pause,
//	{type: "otplay:step"}, {type: "otplay:reset"}    Step or Reset button
//
// and listens to its events, each {type, page, result}: "otplay:ready"
// (the first result of a state), "otplay:step" (every later result),
// "otplay:converged" (once per state, when the run converged or
// finished), "otplay:error" (a failed run, or a refused message, with
// error) and "otplay:result" (every result). {type: "otplay:height",
// height} reports the view's content height whenever it changes, so the
// parent can size the iframe. Two URL parameters are for embeds only
// (ApplyState keeps them across a set): autoplay=1 presses Play once the
// first result is in, and view=<id> ("ot-plan", "diffusion-view": the
// data-view attribute of the page's views) shows that view alone. On
// /ot, painting uses pointer events, so touch screens paint too.
//
// A set is validated against the page's Schema (ApplyState: unknown keys
// and bad values are refused, nothing changes) and becomes a navigation
// to the new URL; a refusal answers {type: "otplay:error", page, error}.
// web/embed-example.html is a working example (served at
// /web/embed-example.html).
//
// # The /check page
//
// The first page, /check, opens the backend, runs one soft-min (Feydy et
// al. 2019, eq. (8)) between two seeded Philox Gaussian clouds (see
// SoftMinCheck) on it, runs the same on the float64 CPU reference, and
// shows the adapter, the timings (open, upload, first run with shader
// compilation, warm run, reference) and the maximum relative difference
// against Float32Tolerance. Its URL parameters: n, m, d, eps, seed,
// backend.
//
// # The /ot page
//
// /ot steps an ot.Solver (package solvers/ot) between two 2-D data sets
// of package solvers/data (x with seed, y with seed+1): Step runs one
// iteration, Play runs "steps" iterations per frame until convergence
// (residual <= 1e-6) or 1000 iterations, Pause stops, Reset starts again
// from zero potentials. Each frame reads back the solver's summary (cost
// <P, C>, OT_eps, marginal error, mass) and the k largest plan entries of
// every source point (as Result.PlanTopK, but computed on the host from
// the potentials, planTopKHost: no n*m readback), drawn as lines whose
// opacity is P_ij / max P, and appends the residual to a log-scale
// chart. Methods: balanced (Sinkhorn), unbalanced (tau), partial (mass)
// and divergence. Beside the
// plan lines and the chart the page draws the plan matrix as a heatmap
// (rows and columns sorted along the clouds' principal axis, binned to
// OTHeatmapCells, log scale) and both potentials over the plane
// (ot.Result.PotentialsOnGrid on an OTPotentialGrid^2 grid); while
// playing these refresh at most every otViewGap (small problems) or when
// the play stops. Hovering a point of the plan view shows its plan row
// (or column) in red and says where its mass goes (PlanRow, PlanColumn:
// computed on the host from the potentials). Method divergence steps the
// balanced problem and reports the Sinkhorn divergence S = OT_eps(a, b) -
// (OT_eps(a, a) + OT_eps(b, b))/2 of the iterate, the self terms solved
// when the run starts. eps also has a log slider (log10 eps in [-3, 1]).
// Either cloud can be replaced by an uploaded .csv of x,y lines
// (ParseOTCSV: at most MaxOTUploadBytes and MaxOTPoints, refusals name the
// line; kept by the page, not in the URL), or extended by painting: with
// the mouse mode on "paint", a drag across the plan view adds points (one
// per otPaintSpacing pixels) and releasing solves again. URL
// parameters: x, y, n, m, seed, eps, method, tau, mass, k, steps,
// backend, tier. With tier (auto, full, rff, nystrom) the page also
// solves the balanced problem once with that kernel tier (package
// solvers/kernel) and shows its cost, iterations, time and kernel error
// beside the stepped exact solver (OTTierResult). The published frame is
// OTFrame; the export is OTExport.
//
// # The /sliced page
//
// /sliced computes SW_2 (package solvers/sliced, POT's convention) between
// two data sets on the page's backend, draws the running estimate against
// the number of directions, and shows one direction at a time (Previous /
// Next): the direction, both clouds projected on it, and its exact 1-D
// plan (computed on the host in float64) lifted back to the points. URL
// parameters: x, y, n, m, seed, L, sampling, backend.
//
// # The /validate page
//
// /validate runs compute/conformance's suite (quick by default, full=yes
// for all of it) on the page's backend and lists every check with its
// error and tolerance: the browser's twin of otplay validate. While it
// runs, the progress line names check k of N (play.Validate's progress).
package ui
