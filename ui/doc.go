// Package ui is the otplay playground's user interface: go-app v10
// components that compile natively (for server-side rendering, the static
// export and tests) and for GOOS=js (the wasm the browser runs).
//
// # Pages
//
// Each page's model lives in package play (no go-app): its description
// (play.Page: route, title, gallery summary, Schema, Tours, registered by
// play.Register), its typed state parsed once from the URL, its run and
// its frames and figures. ui pairs a model with a component:
// RegisterView(path, constructor); Register(Page) does both for a page
// whose model is still here (/check, /diffusion, /truncate, /validate).
// Routes registers "/" (the Gallery), every page and every page's bare
// embed view "/embed/<page>" with go-app; the wasm main and the server
// both call it, since go-app needs the same routes on both sides. A page
// component learns that it is embedded from IsEmbed(ctx.Page().URL())
// and then renders without nav and form.
//
// # The page skeleton
//
// Computing pages embed pageSkeleton[F] (skeleton.go), the one
// lifecycle: OnMount subscribes to device losses, OnNav decodes the URL
// state into the form and starts a run, OnDismount stops it; Step, Play,
// Pause and Reset drive a play.Runner (which serialises compute, cancels
// replaced runs and restarts once on the CPU after compute.ErrDeviceLost);
// every play.Update reaches the UI goroutine through ctx.Dispatch and is
// published after render as the page's PageResult fields plus the frame's
// own. A page sets Path, Title, Schema, Start (its typed state's Start)
// and Publish, and renders with layout, controls and frame. /ot, /sliced,
// /patch and /bridge are built this way.
//
// # URL state
//
// A page's parameters live in its URL, so that every view is a link. The
// Schema, Param and State types are play's (see play's documentation:
// Decode keeps defaults where a value is bad and names each bad
// parameter; Encode writes the canonical query). Changing parameters
// navigates to the new URL; OnNav recomputes.
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
// (onBackendLost): the skeleton's Runner starts its run again on the
// CPU. window.otplayGPUDevice.destroy() simulates a loss.
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
// usable at phone width (390 px): the badge wraps onto at most three
// lines there (its title holds the whole text). The read-out tables are
// rows of a label and a value (resultRow); valueCell puts each number of
// a value in a span of class otplay-num, which the style sheet keeps on
// one line, so "1.399e-05" never breaks after its exponent's hyphen, while
// the label column (at most 40% of the table) wraps at its spaces.
// Plot is a <canvas> component that draws a Figure
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
// # The /ot, /sliced, /patch and /bridge pages
//
// Their models, numbers and figures are play's (play.OT, play.Sliced,
// play.Patch, play.Bridge; see play's documentation for what each
// computes and cites). The views here add what needs the browser: on
// /ot, hovering a point of the plan view shows its plan row or column in
// red (play.OTFrame.Hover), a .csv upload (play.ParseOTCSV) or painting
// with the pointer (one point per otPaintSpacing pixels) replaces or
// extends a cloud (play.Cloud, not in the URL); /sliced's Previous and
// Next step the shown direction (play.Runner.StepBy); /patch and /bridge
// take uploaded images and point clouds. The published results are
// OTFrame, SlicedResult, PatchResult and BridgeFrame (PageResult and the
// model's frame); the exports are play.OTExport and play.SlicedExport.
//
// # The /barycenter page
//
// /barycenter (model play.Barycenter) draws 2-4 built-in shapes at the
// corners (solvers/barycenter.Shape) and their convolutional Wasserstein
// barycenters in between (solvers/barycenter.Convolutional, or
// ConvolutionalDebiased with the switch): one row for two shapes, a
// triangle of barycentric weights for three, the bilinear square of
// Solomon et al. 2015, Fig. 1 for four. Step computes one more cell on the
// page's backend, Play fills the picture; each cell is drawn scaled to
// its own maximum. URL parameters: a, b, c, d (c = d = none: two shapes;
// d = none: three), n, size, eps, debiased, iters, backend. The published
// frame is play.BarycenterFrame (cells, total, iterations, converged,
// worstErr, worstMarginal, the last cell's weights and status).
//
// # The /validate page
//
// /validate runs compute/conformance's suite (quick by default, full=yes
// for all of it) on the page's backend and lists every check with its
// error and tolerance: the browser's twin of otplay validate. While it
// runs, the progress line names check k of N (play.Validate's progress).
package ui
