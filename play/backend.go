package play

// Backend preferences, the values of a page's "backend" URL parameter.
// Opening the backend a preference names is the view's job (ui.OpenBackend
// in the browser, the server's device natively); a run only receives a
// compute.Backend.
const (
	PreferAuto = "auto" // WebGPU if the browser has a working adapter, else the server's device, else CPU
	PreferGPU  = "gpu"  // WebGPU; falls back to CPU with the reason shown
	PreferCPU  = "cpu"  // the float64 CPU backend in the wasm
	// PreferNative computes on the otplay server's backend (its GPU where
	// it has one) through compute/remote; falls back to CPU with the
	// reason shown.
	PreferNative = "native"
)

// BackendParam is the "backend" URL parameter every computing page carries.
var BackendParam = Param{
	Name: "backend", Kind: KindChoice, Default: PreferAuto,
	Choices: []string{PreferAuto, PreferGPU, PreferCPU, PreferNative},
	Help:    "compute backend: auto (WebGPU if available, else the server's GPU, else CPU), gpu, cpu or native (the otplay server's device)",
}

// ComputeParam is BackendParam as the forms show it: in the "Compute"
// group, collapsed, with a human label. Schemas end with it.
var ComputeParam = func() Param {
	p := BackendParam
	p.Label, p.Group, p.Advanced = "Compute on", "Compute", true
	return p
}()
