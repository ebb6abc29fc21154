// Package batch holds the batch runs of otplay, shared by the command line
// (otplay solve, sample, bridge) and the notebook API of otplay serve
// (POST /api/v1/solve, /sample, /bridge, /sliced; see package server):
// typed requests whose fields and JSON keys are the CLI's flags, their
// validation with the CLI's messages and limits, and the runs, which
// return typed results holding the CLI's JSON fields and the arrays.
//
// # Requests and results
//
//	req := batch.NewSolveRequest()   // the CLI's defaults
//	req.X, req.Y = "moons:512:seed=3", "8gaussians:512"
//	req.Eps, req.Plan = 0.05, true
//	res, err := batch.Solve(req, batch.Options{})
//	// res.Cost, res.Objective, res.MarginalError, ... and res.Plan (n x m)
//
// Each request type has a constructor with the CLI's defaults
// (NewSolveRequest, NewSampleRequest, NewBridgeRequest, NewSlicedRequest);
// decoding JSON over it gives the defaults to the keys a client leaves
// out. Point clouds are named by data specs or .csv/.npy paths, as on
// the command line (see solvers/data), or given inline as a data.Set in
// the fields that end in Set (XSet, YSet, DataSet, SourceSet, ...),
// checked by CheckPoints; inline weights are checked by CheckWeights.
//
// The results are the objects that otplay solve --json, sample --json and
// bridge --json print (the JSON tags are theirs), and the arrays the
// commands write to files, tagged json:"-": SolveResult.F, G and Plan,
// SampleResult.Points, BridgeResult.Samples, SlicedResult's per-direction
// values and directions. The commands keep only flag parsing and output:
// writing the files, the text summary, the progress bar.
//
// # Errors
//
// A request refused before computing returns a UsageError whose message
// names the CLI flag ("--eps 0: must be positive and finite"); the CLI
// exits 2 on it and the API answers 400. Every check that needs no
// backend runs before the backend is opened, so a refused request opens
// no GPU. Other errors (a solver that fails, a file that cannot be read)
// are returned as they are; the CLI exits 1 on them.
//
// # Backends, cancellation, progress
//
// The Backend field is the CLI's --backend: cpu (float64, fast kernels),
// cpuref (float64, the plain reference loops), cpu32 (the fast CPU path,
// float32 grade), gpu, or auto (the GPU when one opens, else
// cpu32, with a note saying why); OpenBackend opens it. Options.Open
// replaces OpenBackend, as the server does to share one GPU device among
// requests. Options.Context cancels a run: the backend is wrapped so that
// each of its operations first checks the context, and every solver
// stops at its next operation with the context's error. Options.Progress
// receives the iterative solvers' residual checks and Options.Note the
// remarks the CLI prints on stderr (a CPU fallback, a Sinkhorn run that
// did not converge); results carry the notes too.
//
// # Methods
//
// The mathematics is in the solver packages, with their papers and
// equations: solvers/ot (log-domain Sinkhorn, unbalanced, partial, the
// Sinkhorn divergence; POT's conventions), solvers/kernel (random-feature
// and Nystrom tiers), solvers/sliced, solvers/exact, solvers/diffusion
// (the samplers), solvers/bridge (Schrodinger bridges) and
// solvers/metrics (the quality measures).
//
// # Tests
//
// The commands' tests (cmd/otplay) run these functions through the real
// entry point and compare with POT; batch_test.go checks what only this
// package does: inline point sets give the same result as the same points
// named by a spec, bad requests are refused before any backend opens,
// with the index of a bad value named, and a cancelled context stops a
// solve, divergence, sample or bridge run at its next operation with no
// array left on the backend.
//
// # Native only
//
// Every file but this one is built with `//go:build !js`: the runs open
// backends through gpu.Adapters and compute/webgpu's native opener, read
// and write files, and serve otplay's command line and server, none of
// which exist in the browser build (the playground's pages run the
// solvers through package play instead). Under GOOS=js the package is
// this documentation only, so `GOOS=js go vet ./batch` is clean and a
// browser package that imported batch would fail to build by name.
package batch
