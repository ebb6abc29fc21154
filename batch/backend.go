//go:build !js

package batch

import (
	"context"
	"fmt"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu"
	"github.com/otplay/otplay/gpu"
)

// BackendHelp is the help text of every --backend flag and backend field.
const BackendHelp = "compute backend: gpu, cpu32 (fast CPU, float32-grade like the GPU), cpu (float64, fast kernels), cpuref (float64, plain loops: the reference) or auto (a hardware GPU if one works, else cpu32; `otplay info` says which)"

// BackendNames are the values of --backend, in the order of BackendHelp.
var BackendNames = []string{"gpu", "cpu32", "cpu", "cpuref", "auto"}

// OpenGPU opens this machine's WebGPU device (wgpu-native, Vulkan first)
// as a compute backend.
func OpenGPU() (compute.Backend, error) {
	return webgpu.Open(gpu.Options{})
}

// ChooseAutoHere is ChooseAuto over this machine's adapters.
func ChooseAutoHere() AutoChoice { return ChooseAuto(gpu.Adapters()) }

// OpenBackend opens the backend named by a --backend flag: cpu (float64,
// compute.NewCPU), cpuref (float64 plain loops, compute.NewCPURef), cpu32
// (the fast CPU path, compute.NewCPUFast), gpu (whatever WebGPU
// adapter there is, lavapipe included), or auto (ChooseAuto: a hardware
// GPU, else cpu32). It returns the backend and, when auto took the CPU, a
// note saying why.
func OpenBackend(name string) (compute.Backend, string, error) {
	switch name {
	case "cpu":
		return compute.NewCPU(0), "", nil
	case "cpuref":
		return compute.NewCPURef(0), "", nil
	case "cpu32":
		return compute.NewCPUFast(0), "", nil
	case "gpu":
		b, err := OpenGPU()
		if err != nil {
			return nil, "", fmt.Errorf("--backend gpu: %w", err)
		}
		return b, "", nil
	case "auto":
		choice := ChooseAuto(gpu.Adapters())
		if choice.Backend != "gpu" {
			return compute.NewCPUFast(0), choice.Reason, nil
		}
		b, err := OpenGPU()
		if err != nil {
			return compute.NewCPUFast(0), fmt.Sprintf("auto: %s did not open (%v); using cpu32", choice.Adapter, err), nil
		}
		return b, "", nil
	}
	return nil, "", fmt.Errorf("--backend %q: want gpu, cpu32, cpu, cpuref or auto", name)
}

// Options is what a caller supplies besides the request. The zero value
// runs to completion on a backend opened by OpenBackend, silently.
type Options struct {
	// Context cancels a run: once it is done, the backend's next
	// operation fails with its error, which the run returns. nil means
	// context.Background().
	Context context.Context
	// Open opens the backend the request names; nil means OpenBackend.
	// The run closes what Open returns.
	Open func(name string) (compute.Backend, string, error)
	// Progress, when set, is called by the iterative solvers after each
	// residual check (iteration, iteration limit, residual).
	Progress func(iter, maxIter int, residual float64)
	// Note, when set, receives remarks as they arise (a CPU fallback, a
	// solver that did not converge). The CLI prints them on stderr.
	Note func(msg string)
}

func (o Options) context() context.Context {
	if o.Context == nil {
		return context.Background()
	}
	return o.Context
}

func (o Options) note(msg string) {
	if o.Note != nil {
		o.Note(msg)
	}
}

// open opens the backend name through o.Open and wraps it so that every
// operation first checks o.Context.
func (o Options) open(name string) (compute.Backend, string, error) {
	open := o.Open
	if open == nil {
		open = OpenBackend
	}
	if err := o.context().Err(); err != nil {
		return nil, "", err
	}
	be, note, err := open(name)
	if err != nil {
		return nil, "", err
	}
	if o.Context == nil {
		return be, note, nil
	}
	return cancellable{Backend: be, ctx: o.Context}, note, nil
}

// cancellable is a Backend whose operations fail with the context's error
// once it is done, so that any solver stops at its next operation.
type cancellable struct {
	compute.Backend
	ctx context.Context
}

func (c cancellable) Alloc(n int) (compute.Array, error) {
	if err := c.ctx.Err(); err != nil {
		return nil, err
	}
	return c.Backend.Alloc(n)
}

func (c cancellable) Upload(src []float64) (compute.Array, error) {
	if err := c.ctx.Err(); err != nil {
		return nil, err
	}
	return c.Backend.Upload(src)
}

func (c cancellable) Write(dst compute.Array, src []float64) error {
	if err := c.ctx.Err(); err != nil {
		return err
	}
	return c.Backend.Write(dst, src)
}

func (c cancellable) Read(dst []float64, src compute.Array) error {
	if err := c.ctx.Err(); err != nil {
		return err
	}
	return c.Backend.Read(dst, src)
}

func (c cancellable) SoftMin(dst compute.Array, p compute.Pairs) error {
	if err := c.ctx.Err(); err != nil {
		return err
	}
	return c.Backend.SoftMin(dst, p)
}

func (c cancellable) SoftMean(dst compute.Array, p compute.Pairs, v compute.Array, dv int) error {
	if err := c.ctx.Err(); err != nil {
		return err
	}
	return c.Backend.SoftMean(dst, p, v, dv)
}

func (c cancellable) SoftMeanY(dst compute.Array, p compute.Pairs, scale float64) error {
	if err := c.ctx.Err(); err != nil {
		return err
	}
	return c.Backend.SoftMeanY(dst, p, scale)
}

func (c cancellable) Map(dst compute.Array, a compute.MapArgs) error {
	if err := c.ctx.Err(); err != nil {
		return err
	}
	return c.Backend.Map(dst, a)
}

func (c cancellable) Sum(x compute.Array) (float64, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.Backend.Sum(x)
}

func (c cancellable) MatMul(dst, a, b compute.Array, n, k, m int, transA, transB bool) error {
	if err := c.ctx.Err(); err != nil {
		return err
	}
	return c.Backend.MatMul(dst, a, b, n, k, m, transA, transB)
}

func (c cancellable) GatherSum(dst, src, idx compute.Array, k int) error {
	if err := c.ctx.Err(); err != nil {
		return err
	}
	return c.Backend.GatherSum(dst, src, idx, k)
}

func (c cancellable) SortRows(x compute.Array, rows, cols int) error {
	if err := c.ctx.Err(); err != nil {
		return err
	}
	return c.Backend.SortRows(x, rows, cols)
}

// openFor opens the backend named as open does, adding its note to
// rep.Notes and its name to rep.Backend. The caller closes it.
func (o Options) openFor(name string, rep *SolveResult) (compute.Backend, error) {
	be, note, err := o.open(name)
	if err != nil {
		return nil, err
	}
	if note != "" {
		rep.Notes = append(rep.Notes, note)
	}
	rep.Backend = be.Info().Name
	return be, nil
}
