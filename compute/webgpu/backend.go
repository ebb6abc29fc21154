// Package webgpu is the GPU implementation of compute.Backend: every op is
// a WGSL kernel from package shaders run through package gpu, natively
// (wgpu-native: Vulkan, Metal, D3D12) or in the browser (navigator.gpu).
//
// Arrays are float32 storage buffers. Ops are recorded into one batch and
// submitted together; Read, Sum and Wait are the only points that wait for
// the device. The float32 results agree with the float64 CPU reference to
// the tolerances documented in compute/conformance.
//
// SoftMin and SoftMean for |x - y|^2 run the tiled kernels (softmin.wgsl,
// softmin_small.wgsl, softmean*.wgsl). From d = 4 (the soft-min) and d = 5
// (the soft-mean) they run softmin_hd2.wgsl and softmean_hd2.wgsl instead:
// the cost expanded as |x|^2 + |y|^2 - 2<x, y> about y_0, the clouds
// copied once per call into chunk-transposed blocks (softmin_hd_prep.wgsl),
// a register-blocked matrix product with vec4 workgroup-memory reads, the
// online log-sum-exp per tile, and for the soft-mean flash-attention's
// tiling with a register-blocked P.V product (softmin_hd.go,
// softmean_hd.go; HDShape and the OTPLAY_HD_* variables tune them, the
// older softmin_hd.wgsl and softmean_hd.wgsl remain behind
// OTPLAY_SOFTMIN_HD_KERNEL=1 and OTPLAY_SOFTMEAN_HD_KERNEL=1 and where
// the device offers less than 32 KiB of workgroup memory). Other ground
// costs (compute.Cost:
// |x - y|^P, dense cost matrices) run softmin_cost.wgsl and
// softmean_cost.wgsl, a few rows per invocation with the columns split over
// the grid (cost.go), in chunks that stay under lavapipe's loop limiter on
// software adapters.
//
// Arrays past the device's maxStorageBufferBindingSize (128 MiB by default,
// the adapter's own limit where it is larger) are refused with a
// compute.ErrTooLarge error naming the limit.
package webgpu

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/gpu"
	"github.com/otplay/otplay/shaders"
)

// Backend runs compute ops on a WebGPU device.
type Backend struct {
	dev     *gpu.Device
	dummy   *gpu.Buffer // bound where an optional input is absent
	scratch *gpu.Buffer // SoftMin's per-split partials, grown on demand
	bias    *gpu.Buffer // softmin_hd.wgsl's column term, grown on demand
	hd      hdState     // softmin_hd2.wgsl's and softmean_hd2.wgsl's shape and buffers (softmin_hd.go)

	// TargetGroups is the number of workgroups SoftMin aims for when it
	// splits the column range to fill the device (default 2048: about 16
	// resident groups per SM on a 132-SM H100; small for CPU adapters).
	TargetGroups int
	// SoftMinWG and SoftMinR override the soft-min's workgroup size and rows
	// per invocation (0: the defaults, 64 and 4/2/1 by dimension); for
	// tuning on new hardware, also settable through OTPLAY_SOFTMIN_WG and
	// OTPLAY_SOFTMIN_R.
	SoftMinWG, SoftMinR int
	// NoUnroll turns off the unrolled soft-min for d <= 3 (softmin_small.wgsl),
	// falling back to the generic kernel; also OTPLAY_NO_UNROLL=1.
	NoUnroll bool
	// OnePass selects the online (one sweep, one branch per pair) form of
	// the unrolled soft-min instead of the two-pass form; also
	// OTPLAY_SOFTMIN_ONEPASS=1.
	OnePass bool
	// HDMinDim is the smallest dimension whose squared-Euclidean SoftMin
	// runs the tiled matrix-product kernel (softmin_hd2.wgsl); 0 keeps the
	// per-pair kernel at every dimension. Default 4 (by H100
	// measurement, see softmin_hd.go); also
	// OTPLAY_SOFTMIN_HD_MIN.
	HDMinDim int
	// HDRB overrides softmin_hd.wgsl's register block (each invocation
	// owns HDRB x HDRB pairs; 0: the default, 8); also OTPLAY_SOFTMIN_HD_RB.
	HDRB int
	// SoftMeanHDMinDim is the smallest point dimension whose
	// squared-Euclidean SoftMean runs the tiled kernel (softmean_hd2.wgsl);
	// 0 keeps the per-pair softmean.wgsl at every dimension. Default 5
	// (see softmean_hd.go); also OTPLAY_SOFTMEAN_HD_MIN.
	SoftMeanHDMinDim int
}

// Array is a float32 storage buffer on the device.
type Array struct {
	buf *gpu.Buffer
	n   int
	b   *Backend
}

// Len is the number of elements.
func (a *Array) Len() int { return a.n }

// Open opens the device (gpu.Open) and returns a Backend on it.
func Open(opts gpu.Options) (*Backend, error) {
	d, err := gpu.Open(opts)
	if err != nil {
		return nil, err
	}
	return New(d)
}

// New returns a Backend on an opened device.
func New(d *gpu.Device) (*Backend, error) {
	b := &Backend{dev: d, TargetGroups: 2048}
	if d.Info().Fallback {
		b.TargetGroups = 64
	}
	if v, err := strconv.Atoi(os.Getenv("OTPLAY_TARGET_GROUPS")); err == nil && v > 0 {
		b.TargetGroups = v
	}
	if v, err := strconv.Atoi(os.Getenv("OTPLAY_SOFTMIN_WG")); err == nil && v > 0 && v <= 256 {
		b.SoftMinWG = v
	}
	if v, err := strconv.Atoi(os.Getenv("OTPLAY_SOFTMIN_R")); err == nil && v > 0 && v <= 16 {
		b.SoftMinR = v
	}
	b.NoUnroll = os.Getenv("OTPLAY_NO_UNROLL") == "1"
	b.OnePass = os.Getenv("OTPLAY_SOFTMIN_ONEPASS") == "1"
	b.HDMinDim = minDimFromEnv("OTPLAY_SOFTMIN_HD_MIN", hdDefaultMinDim)
	b.SoftMeanHDMinDim = minDimFromEnv("OTPLAY_SOFTMEAN_HD_MIN", softMeanHDDefaultMinDim)
	b.hd = hdStateFromEnv()
	if v, err := strconv.Atoi(os.Getenv("OTPLAY_SOFTMIN_HD_RB")); err == nil && v > 0 && v <= 8 {
		b.HDRB = v
	}
	dummy, err := d.NewBuffer(4)
	if err != nil {
		return nil, err
	}
	b.dummy = dummy
	return b, nil
}

// Device returns the underlying device.
func (b *Backend) Device() *gpu.Device { return b.dev }

// Info describes the backend.
func (b *Backend) Info() compute.Info {
	gi := b.dev.Info()
	notes := gi.Type
	if gi.Fallback {
		notes = "software adapter (CPU)"
	}
	return compute.Info{Name: "gpu", Device: gi.Adapter, API: gi.Backend, Precision: "float32",
		MaxArray: int(min(gi.Limits.MaxStorageBufferBindingSize/4, math.MaxInt32)), Notes: notes}
}

// Close releases the device.
func (b *Backend) Close() error {
	b.dev.Close()
	return nil
}

// Wait submits queued work and waits for it (for timing).
func (b *Backend) Wait() error { return wrap(b.dev.Wait()) }

func wrap(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gpu.ErrDeviceLost):
		return fmt.Errorf("%w: %v", compute.ErrDeviceLost, err)
	case errors.Is(err, gpu.ErrTooLarge):
		return fmt.Errorf("%w: %v", compute.ErrTooLarge, err)
	}
	return err
}

func (b *Backend) arr(a compute.Array) *Array {
	if a == nil {
		return nil
	}
	g, ok := a.(*Array)
	if !ok || g.b != b {
		panic(fmt.Sprintf("webgpu: array of type %T from another backend", a))
	}
	if g.buf == nil {
		panic("webgpu: array used after Free")
	}
	return g
}

func (b *Backend) bufOf(a compute.Array) *gpu.Buffer {
	if a == nil {
		return b.dummy
	}
	return b.arr(a).buf
}

func (b *Backend) Alloc(n int) (compute.Array, error) {
	if n < 0 {
		return nil, fmt.Errorf("%w: alloc of %d elements", compute.ErrBadArgument, n)
	}
	buf, err := b.dev.NewBuffer(n)
	if err != nil {
		return nil, wrap(err)
	}
	return &Array{buf: buf, n: n, b: b}, nil
}

func toBits(src []float64) []uint32 {
	out := make([]uint32, len(src))
	for i, v := range src {
		out[i] = math.Float32bits(float32(v))
	}
	return out
}

func (b *Backend) Upload(src []float64) (compute.Array, error) {
	buf, err := b.dev.NewBufferFrom(toBits(src))
	if err != nil {
		return nil, wrap(err)
	}
	return &Array{buf: buf, n: len(src), b: b}, nil
}

func (b *Backend) Write(dst compute.Array, src []float64) error {
	if dst == nil || dst.Len() != len(src) {
		return fmt.Errorf("%w: write: %d values into an array of %d", compute.ErrBadArgument, len(src), lenOf(dst))
	}
	return wrap(b.dev.Write(b.arr(dst).buf, toBits(src)))
}

func (b *Backend) Read(dst []float64, src compute.Array) error {
	if src == nil || src.Len() != len(dst) {
		return fmt.Errorf("%w: read: array of %d into %d values", compute.ErrBadArgument, lenOf(src), len(dst))
	}
	words, err := b.dev.Read(b.arr(src).buf, 0, len(dst))
	if err != nil {
		return wrap(err)
	}
	for i, w := range words {
		dst[i] = float64(math.Float32frombits(w))
	}
	return nil
}

func (b *Backend) Copy(dst, src compute.Array) error {
	if dst == nil || src == nil || dst.Len() != src.Len() {
		return fmt.Errorf("%w: copy: lengths %d and %d differ", compute.ErrBadArgument, lenOf(dst), lenOf(src))
	}
	if dst.Len() == 0 || dst == src {
		return nil
	}
	return wrap(b.dev.CopyBuffer(b.arr(dst).buf, 0, b.arr(src).buf, 0, dst.Len()))
}

func (b *Backend) Free(a compute.Array) {
	if a == nil {
		return
	}
	g := b.arr(a)
	b.dev.Release(g.buf)
	g.buf = nil
}

func lenOf(a compute.Array) int {
	if a == nil {
		return 0
	}
	return a.Len()
}

// kernel compiles (or fetches from the cache) a specialised kernel.
func (b *Backend) kernel(name string, storages int, consts map[string]int) (*gpu.Kernel, error) {
	key := name
	for _, k := range []string{"D", "DV", "R", "WG", "TILE"} {
		if v, ok := consts[k]; ok {
			key += fmt.Sprintf(":%s=%d", k, v)
		}
	}
	return b.kernelFunc(key, storages, func() (string, error) { return shaders.Source(name, consts) })
}

// kernelFunc compiles the source that gen returns under key, once.
func (b *Backend) kernelFunc(key string, storages int, gen func() (string, error)) (*gpu.Kernel, error) {
	if k := b.dev.Cached(key); k != nil {
		return k, nil
	}
	src, err := gen()
	if err != nil {
		return nil, err
	}
	k, err := b.dev.Kernel(key, src, storages)
	return k, wrap(err)
}

func f32(v float64) uint32 { return math.Float32bits(float32(v)) }

func boolWord(v bool) uint32 {
	if v {
		return 1
	}
	return 0
}

// elementwise dispatches a one-invocation-per-element kernel of 256-wide
// workgroups over n elements, folding the grid; params[gxSlot] receives
// the x extent.
func (b *Backend) elementwise(k *gpu.Kernel, bufs []*gpu.Buffer, params []uint32, gxSlot, n int) error {
	if n == 0 {
		return nil
	}
	gx, gy := b.dev.Grid((n + 255) / 256)
	params[gxSlot] = gx
	return wrap(b.dev.Dispatch(k, bufs, params, gx, gy, 1))
}

// aliased reports whether dst is one of the inputs.
func aliased(dst compute.Array, in ...compute.Array) bool {
	for _, a := range in {
		if a != nil && a == dst {
			return true
		}
	}
	return false
}

// viaTemp runs op into a temporary array and copies it to dst; used when
// dst aliases an input that other invocations still read.
func (b *Backend) viaTemp(dst compute.Array, op func(tmp compute.Array) error) error {
	tmp, err := b.Alloc(dst.Len())
	if err != nil {
		return err
	}
	defer b.Free(tmp)
	if err := op(tmp); err != nil {
		return err
	}
	return b.Copy(dst, tmp)
}
