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
// page carries), shared by all pages. In the browser it asks
// navigator.gpu for an adapter, names it, and opens compute/webgpu on it;
// whenever that fails it returns the float64 CPU backend
// (compute.NewCPU(1): the wasm has one thread) with the reason, which the
// layout's badge shows: "WebGPU: <adapter>" or "CPU (<reason>)". It
// awaits JavaScript promises, so pages call it inside ctx.Async, never in
// an event handler or Render; results come back through ctx.Dispatch.
//
// # Layout and plots
//
// Layout renders the frame of every page: nav, title, backend badge,
// content, timings. Plot is a <canvas> component that draws a Figure
// (point sets, line sets with per-segment opacity for transport plans,
// curves for charts with optional log-y, heatmaps through the Viridis
// scale) with the 2-D canvas API after each render. The drawing is written
// once against the small Canvas2D interface: plot_js.go implements it over
// CanvasRenderingContext2D (syscall/js), and Recorder records the calls
// so that native tests check what would be drawn.
//
// # Results for scripts and tests
//
// A page publishes its result as JSON: window.otplayResult, a window
// event "otplay:result", and, when embedded in an iframe, a postMessage
// {type: "otplay:result", page, result} to the parent. The end-to-end
// tests (package e2e) read window.otplayResult.
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
package ui
