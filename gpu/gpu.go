// Package gpu is otplay's only importer of the WebGPU binding
// (github.com/cogentcore/webgpu). It opens a device natively (wgpu-native:
// Vulkan, Metal or D3D12) or in the browser (navigator.gpu), and offers
// what the compute layer needs: storage buffers, a cache of compute
// pipelines with explicit layouts, batches that record many dispatches into
// one submission, and readback.
//
// Native device probing never aborts the process: a Vulkan-only instance
// is created on Linux, so a missing or broken driver becomes ErrNoAdapter.
// Adapters lists the adapters without opening a device; Info.Fallback marks
// the CPU implementations (lavapipe/llvmpipe, SwiftShader, WARP: adapter
// type CPU, or known by name), which a caller may prefer to skip for a CPU
// backend. A device is asked for the adapter's own limits less push
// constants (the binding reads that limit from memory nobody fills, and
// heap garbage there failed about 1 in 10 requests under load); opening is
// retried for failures that pass (5 tries, pauses doubling from 50 ms).
//
// Waiting natively never blocks inside wgpu-native. Its blocking poll
// (wgpu-native 0.19) gives up after 5 s and then treats the submission as
// finished (gfx-rs/wgpu#3601, #4589): it resets command buffers still
// executing and fires buffer-map callbacks before the data is there. On
// lavapipe under load, where one submission can run longer than 5 s, that
// was the segfault inside libvulkan_lvp.so ("Unsupported command" with a
// garbage type) that heavy solver runs died of; on any device it would
// read stale data after a long submission. Reads and waits instead poll
// without blocking: they yield between polls for the first 2 ms of a wait
// (100 us on a CPU adapter), then sleep a sixteenth of the time waited, from
// 20 us to 1 ms (TestSubmissionPastTheWaitTimeout runs a 9 s submission;
// OTPLAY_POLL_SPIN sets the yield phase, to measure what the sleeps cost a
// timing: up to ~2% of the H100's 1e5 soft-mins).
//
// Read keeps one mappable read-back buffer and grows it as needed: creating
// one per read cost about 2 ms each on an H100 (Vulkan), which made a
// solver's residual check every 10 iterations double its iteration's time
// at N = 1e4 (OTPLAY_FRESH_STAGING=1 restores the old way). After each wait
// SetFlushAfterWait can hand the idle device the first dispatches of the
// next loop at once (n, then 2n, 4n, ... up to 256), so that it runs
// while the host records the rest; compute/webgpu sets n = 4 on hardware
// adapters.
//
// lavapipe (llvmpipe) stops shader loops after 65,535 iterations per
// invocation, silently (64 x 1,024 nested iterations returned the value
// after 63 x 1,024); kernels keep their loops shorter.
//
// Binding convention of every kernel (as in TensorFlow.js's WebGPU
// backend): storage buffers first, in the order Dispatch receives them,
// the output first and read_write, the inputs after it read-only, then one
// uniform buffer of parameters last. WebGPU forbids binding one buffer
// both writable and read-only in a dispatch (Chromium drops the command
// buffer with only a console warning; lavapipe does not check), so
// Dispatch refuses an output that is also bound as an input: callers use a
// temporary or an in-place kernel.
package gpu

import (
	"errors"
	"fmt"
	"math/bits"
	"os"
	"strings"
	"sync"

	"github.com/cogentcore/webgpu/wgpu"
)

// Typed errors. Use errors.Is.
var (
	ErrNoAdapter  = errors.New("gpu: no WebGPU adapter")
	ErrDeviceLost = errors.New("gpu: device lost")
	ErrTooLarge   = errors.New("gpu: buffer larger than the device limit")
	ErrShader     = errors.New("gpu: shader or pipeline rejected")
)

// LimitError reports a request over a named device limit.
type LimitError struct {
	Limit string // e.g. "maxStorageBufferBindingSize"
	Want  uint64
	Max   uint64
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("gpu: %d bytes requested, over the device's %s of %d bytes", e.Want, e.Limit, e.Max)
}

func (e *LimitError) Unwrap() error { return ErrTooLarge }

// Info describes the opened device.
type Info struct {
	Adapter  string   // adapter name, e.g. "NVIDIA H100 80GB HBM3" or "llvmpipe (LLVM 15.0.6, 256 bits)"
	Vendor   string   // vendor name where known
	Backend  string   // "Vulkan", "Metal", "D3D12", "WebGPU (browser)"
	Type     string   // "discrete GPU", "integrated GPU", "CPU", ...
	Driver   string   // driver description where known
	Fallback bool     // a software adapter (lavapipe, SwiftShader)
	Features []string // optional features the adapter offers
	Limits   Limits
}

// Limits are the device limits otplay cares about.
type Limits struct {
	MaxStorageBufferBindingSize uint64
	MaxBufferSize               uint64
	MaxComputeWorkgroupsPerDim  uint32
	MaxWorkgroupStorageSize     uint32
	MaxInvocationsPerWorkgroup  uint32
	MaxStorageBuffersPerStage   uint32
}

func limitsFrom(l wgpu.Limits) Limits {
	return Limits{
		MaxStorageBufferBindingSize: l.MaxStorageBufferBindingSize,
		MaxBufferSize:               l.MaxBufferSize,
		MaxComputeWorkgroupsPerDim:  l.MaxComputeWorkgroupsPerDimension,
		MaxWorkgroupStorageSize:     l.MaxComputeWorkgroupStorageSize,
		MaxInvocationsPerWorkgroup:  l.MaxComputeInvocationsPerWorkgroup,
		MaxStorageBuffersPerStage:   l.MaxStorageBuffersPerShaderStage,
	}
}

// Device is an opened WebGPU device with its queue, pipeline cache and the
// batch being recorded. Methods are not safe for concurrent use.
type Device struct {
	info     Info
	dev      *wgpu.Device
	queue    *wgpu.Queue
	keepOpen bool    // the process-wide native device: Close only flushes
	js       jsValue // the browser's GPUDevice (js builds only)

	mu    sync.Mutex // guards lost
	lost  error
	lostC chan struct{} // closed when lost is set

	pipes map[string]*Kernel

	// binds caches the uniform buffer and bind group of a dispatch by
	// (kernel, buffers, params): a solver loop repeats the same dispatches,
	// and creating both costs more CPU time than a small kernel runs.
	binds map[bindKey]boundGroup

	// graveyard holds released objects until the device has finished every
	// submission that may use them (after a completed map or idle wait):
	// wgpu-native 0.19 frees a released buffer or bind group that a pending
	// submission still reads, which crashed lavapipe's executor.
	graveyard []releaser

	// the batch being recorded
	enc    *wgpu.CommandEncoder
	pass   *wgpu.ComputePassEncoder
	temps  []*wgpu.Buffer    // uniform buffers alive until the batch is submitted
	groups []*wgpu.BindGroup // bind groups alive until the batch is submitted (wgpu-native needs them)

	// flushEvery submits the batch after that many dispatches (0: only when
	// a result is read or waited for); dispatched counts the batch's.
	flushEvery, dispatched int
	// flushAfterWait > 0 submits the first flushAfterWait dispatches
	// recorded after a wait, then twice as many, and so on up to
	// maxFlushAfterWait (see SetFlushAfterWait); nextFlush is the size of
	// the next such submission (0: none pending).
	flushAfterWait, nextFlush int

	// staging is the read-back buffer Read reuses (stagingBytes long), so
	// that a residual check every few iterations does not create and
	// destroy a mappable buffer each time; freshStaging (OTPLAY_FRESH_STAGING=1)
	// creates one per Read as before, for comparison.
	staging      *wgpu.Buffer
	stagingBytes uint64
}

// freshStaging is OTPLAY_FRESH_STAGING=1: Read creates and destroys its
// read-back buffer each time instead of reusing one (Device.staging).
var freshStaging = os.Getenv("OTPLAY_FRESH_STAGING") == "1"

// maxFlushAfterWait ends the doubling of SetFlushAfterWait: past it the
// batch waits for the next read or wait as usual.
const maxFlushAfterWait = 256

// SetFlushAfterWait makes Dispatch submit early after each wait for the
// device (Read, Wait): the first n dispatches recorded afterwards go to
// the device at once, then the next 2n, 4n, ... up to 256, so that the idle
// device starts on a loop's first iterations while the host records the
// rest (a solver that reads a residual back every few iterations); n <= 0
// turns it off. A batch recorded with no wait before it (a benchmark's
// loop) is submitted in as many pieces, log2(len/n) of them.
func (d *Device) SetFlushAfterWait(n int) {
	d.flushAfterWait = max(n, 0)
	d.nextFlush = d.flushAfterWait
}

// SetFlushEvery makes Dispatch submit the recorded batch after every n
// dispatches (n <= 0: never; the batch then goes to the device only when
// a result is read or waited for, or a buffer released). Submitting early
// lets the device run while the host records the rest of a long loop,
// at the cost of one submission per n dispatches.
func (d *Device) SetFlushEvery(n int) { d.flushEvery = max(n, 0) }

// Info returns the device description.
func (d *Device) Info() Info { return d.info }

// LostChan returns a channel that is closed when the device is lost (in
// the browser, when the device's lost promise settles); Lost then says
// why. It is how callers learn of a loss without polling or JavaScript.
func (d *Device) LostChan() <-chan struct{} { return d.lostC }

// Lost returns the device-lost error, or nil while the device is usable.
func (d *Device) Lost() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.lost
}

func (d *Device) markLost(reason string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.lost == nil {
		d.lost = fmt.Errorf("%w: %s", ErrDeviceLost, reason)
		close(d.lostC)
	}
}

// Buffer is a storage buffer of 32-bit words on the device.
type Buffer struct {
	buf   *wgpu.Buffer
	words int
}

// Words is the buffer's length in 32-bit words.
func (b *Buffer) Words() int { return b.words }

const storageUsage = wgpu.BufferUsageStorage | wgpu.BufferUsageCopySrc | wgpu.BufferUsageCopyDst

func (d *Device) checkSize(bytes uint64) error {
	if max := d.info.Limits.MaxStorageBufferBindingSize; max > 0 && bytes > max {
		return &LimitError{Limit: "maxStorageBufferBindingSize", Want: bytes, Max: max}
	}
	if max := d.info.Limits.MaxBufferSize; max > 0 && bytes > max {
		return &LimitError{Limit: "maxBufferSize", Want: bytes, Max: max}
	}
	return nil
}

// NewBuffer returns a zeroed storage buffer of n words (n >= 1 is used even
// for n = 0, since WebGPU bindings cannot be empty).
func (d *Device) NewBuffer(n int) (*Buffer, error) {
	if err := d.Lost(); err != nil {
		return nil, err
	}
	bytes := uint64(max(n, 1)) * 4
	if err := d.checkSize(bytes); err != nil {
		return nil, err
	}
	b, err := d.dev.CreateBuffer(&wgpu.BufferDescriptor{Size: (bytes + 15) &^ 15, Usage: storageUsage})
	if err != nil {
		return nil, fmt.Errorf("gpu: create buffer of %d bytes: %w", bytes, err)
	}
	return &Buffer{buf: b, words: n}, nil
}

// NewBufferFrom returns a storage buffer holding data (32-bit words).
func (d *Device) NewBufferFrom(data []uint32) (*Buffer, error) {
	if err := d.Lost(); err != nil {
		return nil, err
	}
	bytes := uint64(max(len(data), 1)) * 4
	if err := d.checkSize(bytes); err != nil {
		return nil, err
	}
	padded := make([]uint32, (max(len(data), 1)+3)&^3)
	copy(padded, data)
	b, err := d.dev.CreateBufferInit(&wgpu.BufferInitDescriptor{Contents: wgpu.ToBytes(padded), Usage: storageUsage})
	if err != nil {
		return nil, fmt.Errorf("gpu: upload %d bytes: %w", bytes, err)
	}
	return &Buffer{buf: b, words: len(data)}, nil
}

// Release drops the buffer. Work already recorded that uses it is
// submitted first; the memory is freed once the device has finished with
// it (Destroy is not called: wgpu-native 0.19 frees a destroyed buffer
// that a pending submission still reads, which crashed lavapipe).
func (d *Device) Release(b *Buffer) {
	if b == nil || b.buf == nil {
		return
	}
	if d.enc != nil {
		d.Flush()
	}
	d.dropBinds(b)
	d.bury(b.buf)
	b.buf = nil
}

// Write copies data into b (len(data) <= b.Words()), ordered after the
// work recorded so far. It stages through a new mapped buffer, so it works
// the same natively and in the browser.
func (d *Device) Write(b *Buffer, data []uint32) error {
	if len(data) > b.words {
		return fmt.Errorf("gpu: write of %d words into a buffer of %d", len(data), b.words)
	}
	if len(data) == 0 {
		return nil
	}
	padded := make([]uint32, (len(data)+3)&^3)
	copy(padded, data)
	staging, err := d.dev.CreateBufferInit(&wgpu.BufferInitDescriptor{Contents: wgpu.ToBytes(padded), Usage: wgpu.BufferUsageCopySrc})
	if err != nil {
		return fmt.Errorf("gpu: staging buffer: %w", err)
	}
	d.temps = append(d.temps, staging)
	return d.CopyBuffer(b, 0, &Buffer{buf: staging, words: len(padded)}, 0, len(data))
}

// CopyBuffer records a copy of n words from src[srcOff:] to dst[dstOff:],
// ordered after the work recorded so far.
func (d *Device) CopyBuffer(dst *Buffer, dstOff int, src *Buffer, srcOff, n int) error {
	if err := d.Lost(); err != nil {
		return err
	}
	if err := d.begin(); err != nil {
		return err
	}
	d.endPass()
	return d.enc.CopyBufferToBuffer(src.buf, uint64(srcOff)*4, dst.buf, uint64(dstOff)*4, uint64(n)*4)
}

// Kernel is a compiled compute pipeline with its explicit layout.
type Kernel struct {
	Name     string
	pipe     *wgpu.ComputePipeline
	layout   *wgpu.BindGroupLayout
	storages int
}

// Cached returns the compiled pipeline under key, or nil.
func (d *Device) Cached(key string) *Kernel { return d.pipes[key] }

// Kernel returns the compiled pipeline for WGSL source src (entry point
// "main") with `storages` storage bindings followed by one uniform, from
// the cache under key.
func (d *Device) Kernel(key, src string, storages int) (*Kernel, error) {
	if k, ok := d.pipes[key]; ok {
		return k, nil
	}
	if err := d.Lost(); err != nil {
		return nil, err
	}
	entries := make([]wgpu.BindGroupLayoutEntry, storages+1)
	for i := range storages {
		typ := wgpu.BufferBindingTypeReadOnlyStorage
		if i == 0 {
			typ = wgpu.BufferBindingTypeStorage
		}
		entries[i] = wgpu.BindGroupLayoutEntry{Binding: uint32(i), Visibility: wgpu.ShaderStageCompute,
			Buffer: wgpu.BufferBindingLayout{Type: typ}}
	}
	entries[storages] = wgpu.BindGroupLayoutEntry{Binding: uint32(storages), Visibility: wgpu.ShaderStageCompute,
		Buffer: wgpu.BufferBindingLayout{Type: wgpu.BufferBindingTypeUniform}}
	bgl, err := d.dev.CreateBindGroupLayout(&wgpu.BindGroupLayoutDescriptor{Entries: entries})
	if err != nil {
		return nil, fmt.Errorf("%w: %s layout: %v", ErrShader, key, err)
	}
	pl, err := d.dev.CreatePipelineLayout(&wgpu.PipelineLayoutDescriptor{BindGroupLayouts: []*wgpu.BindGroupLayout{bgl}})
	if err != nil {
		return nil, fmt.Errorf("%w: %s pipeline layout: %v", ErrShader, key, err)
	}
	var pipe *wgpu.ComputePipeline
	gerr := d.guard(func() {
		var mod *wgpu.ShaderModule
		mod, err = d.dev.CreateShaderModule(&wgpu.ShaderModuleDescriptor{Label: key, WGSLDescriptor: &wgpu.ShaderModuleWGSLDescriptor{Code: src}})
		if err != nil {
			return
		}
		pipe, err = d.dev.CreateComputePipeline(&wgpu.ComputePipelineDescriptor{Layout: pl,
			Compute: wgpu.ProgrammableStageDescriptor{Module: mod, EntryPoint: "main"}})
		mod.Release()
	})
	if err == nil {
		err = gerr
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrShader, key, err)
	}
	if pipe == nil {
		return nil, fmt.Errorf("%w: %s: no pipeline", ErrShader, key)
	}
	k := &Kernel{Name: key, pipe: pipe, layout: bgl, storages: storages}
	d.pipes[key] = k
	return k, nil
}

func (d *Device) begin() error {
	if d.enc != nil {
		return nil
	}
	enc, err := d.dev.CreateCommandEncoder(nil)
	if err != nil {
		return fmt.Errorf("gpu: command encoder: %w", err)
	}
	d.enc = enc
	return nil
}

func (d *Device) endPass() {
	if d.pass != nil {
		d.pass.End()
		d.pass.Release()
		d.pass = nil
	}
}

// releaser is a WebGPU object to release.
type releaser interface{ Release() }

// bury defers the release of objects until the device is idle.
func (d *Device) bury(rs ...releaser) {
	d.graveyard = append(d.graveyard, rs...)
	if len(d.graveyard) > maxGraveyard {
		if err := d.Wait(); err == nil {
			d.sweep()
		}
	}
}

// maxGraveyard bounds the objects awaiting release; past it Bury waits for
// the device.
const maxGraveyard = 4096

// sweep releases the buried objects; call it only when every submission
// has completed.
func (d *Device) sweep() {
	for _, r := range d.graveyard {
		r.Release()
	}
	d.graveyard = d.graveyard[:0]
}

// maxBinds bounds the bind-group cache; past it the cache is emptied.
const maxBinds = 1024

// boundGroup is a cached bind group with the uniform buffer it owns.
type boundGroup struct {
	bg *wgpu.BindGroup
	ub *wgpu.Buffer
}

type bindKey struct {
	k      *Kernel
	bufs   [8]*Buffer
	params string
}

// bindGroup returns the cached bind group for (k, bufs, params), creating
// its uniform buffer and bind group on a miss.
func (d *Device) bindGroup(k *Kernel, bufs []*Buffer, params []uint32) (*wgpu.BindGroup, error) {
	key := bindKey{k: k, params: string(wgpu.ToBytes(params))}
	cacheable := len(bufs) <= len(key.bufs)
	if cacheable {
		copy(key.bufs[:], bufs)
		if g, ok := d.binds[key]; ok {
			return g.bg, nil
		}
	}
	ub, err := d.dev.CreateBufferInit(&wgpu.BufferInitDescriptor{Contents: wgpu.ToBytes(params), Usage: wgpu.BufferUsageUniform})
	if err != nil {
		return nil, fmt.Errorf("gpu: uniform buffer: %w", err)
	}
	entries := make([]wgpu.BindGroupEntry, len(bufs)+1)
	for i, b := range bufs {
		entries[i] = wgpu.BindGroupEntry{Binding: uint32(i), Buffer: b.buf, Size: wgpu.WholeSize}
	}
	entries[len(bufs)] = wgpu.BindGroupEntry{Binding: uint32(len(bufs)), Buffer: ub, Size: wgpu.WholeSize}
	bg, err := d.dev.CreateBindGroup(&wgpu.BindGroupDescriptor{Layout: k.layout, Entries: entries})
	if err != nil {
		ub.Release()
		return nil, fmt.Errorf("gpu: bind group for %s: %w", k.Name, err)
	}
	if !cacheable {
		d.temps = append(d.temps, ub)
		d.groups = append(d.groups, bg)
		return bg, nil
	}
	if len(d.binds) >= maxBinds {
		d.dropBinds(nil)
	}
	d.binds[key] = boundGroup{bg: bg, ub: ub}
	return bg, nil
}

// dropBinds releases the cached bind groups that use b (all of them when
// b is nil), after submitting recorded work that may use them.
func (d *Device) dropBinds(b *Buffer) {
	if len(d.binds) == 0 {
		return
	}
	if d.enc != nil {
		d.Flush()
	}
	for key, g := range d.binds {
		use := b == nil
		for _, kb := range key.bufs {
			use = use || (kb != nil && kb == b)
		}
		if use {
			d.bury(g.bg, g.ub)
			delete(d.binds, key)
		}
	}
}

// Dispatch records one dispatch of k over the given storage buffers (in
// binding order) with the uniform params (a multiple of 4 words is padded
// automatically) and the workgroup counts. Counts past the device's
// per-dimension limit must be folded into y by the caller (see Grid).
func (d *Device) Dispatch(k *Kernel, bufs []*Buffer, params []uint32, x, y, z uint32) error {
	if err := d.Lost(); err != nil {
		return err
	}
	if len(bufs) != k.storages {
		return fmt.Errorf("gpu: kernel %s takes %d buffers, got %d", k.Name, k.storages, len(bufs))
	}
	if x == 0 || y == 0 || z == 0 {
		return nil
	}
	if lim := d.info.Limits.MaxComputeWorkgroupsPerDim; lim > 0 && (x > lim || y > lim || z > lim) {
		return &LimitError{Limit: "maxComputeWorkgroupsPerDimension", Want: uint64(max(x, y, z)), Max: uint64(lim)}
	}
	padded := make([]uint32, (max(len(params), 1)+3)&^3)
	copy(padded, params)
	for i, b := range bufs {
		if b == nil || b.buf == nil {
			return fmt.Errorf("gpu: kernel %s: buffer %d is nil or released", k.Name, i)
		}
		if i > 0 && b == bufs[0] {
			return fmt.Errorf("gpu: kernel %s: the output is also bound as input %d (WebGPU forbids a buffer bound writable and read-only at once)", k.Name, i)
		}
	}
	bg, err := d.bindGroup(k, bufs, padded)
	if err != nil {
		return err
	}
	if err := d.begin(); err != nil {
		return err
	}
	if d.pass == nil {
		d.pass = d.enc.BeginComputePass(nil)
	}
	d.pass.SetPipeline(k.pipe)
	d.pass.SetBindGroup(0, bg, nil)
	d.pass.DispatchWorkgroups(x, y, z)
	if d.dispatched++; d.flushEvery > 0 && d.dispatched >= d.flushEvery {
		return d.Flush()
	}
	if d.nextFlush > 0 && d.dispatched >= d.nextFlush {
		if d.nextFlush *= 2; d.nextFlush > maxFlushAfterWait {
			d.nextFlush = 0
		}
		return d.Flush()
	}
	return nil
}

// idle records that every submission has completed: the doubling of
// SetFlushAfterWait starts again.
func (d *Device) idle() {
	d.nextFlush = d.flushAfterWait
	d.sweep()
}

// Grid splits a count of workgroups into (x, y) with x <= the device's
// per-dimension limit; kernels rebuild the flat index as
// id.x + id.y * x * workgroupSize.
func (d *Device) Grid(groups int) (uint32, uint32) {
	lim := int(d.info.Limits.MaxComputeWorkgroupsPerDim)
	if lim <= 0 {
		lim = 65535
	}
	if groups <= lim {
		return uint32(max(groups, 1)), 1
	}
	y := (groups + lim - 1) / lim
	x := (groups + y - 1) / y
	return uint32(x), uint32(y)
}

// Flush submits the recorded batch (if any) without waiting for it.
func (d *Device) Flush() error {
	if d.enc == nil {
		return d.Lost()
	}
	d.endPass()
	d.dispatched = 0
	cmd, err := d.enc.Finish(nil)
	d.enc.Release()
	d.enc = nil
	if err != nil {
		return fmt.Errorf("gpu: finish batch: %w", err)
	}
	d.queue.Submit(cmd)
	cmd.Release()
	// Uniform and staging buffers and uncached bind groups are released once
	// the device has finished this submission (see graveyard).
	for _, t := range d.temps {
		d.graveyard = append(d.graveyard, t)
	}
	d.temps = d.temps[:0]
	for _, g := range d.groups {
		d.graveyard = append(d.graveyard, g)
	}
	d.groups = d.groups[:0]
	return d.Lost()
}

// Read copies n words from b[off:] to the host, submitting the batch and
// waiting for it.
func (d *Device) Read(b *Buffer, off, n int) ([]uint32, error) {
	if err := d.Lost(); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, nil
	}
	if off+n > b.words {
		return nil, fmt.Errorf("gpu: read [%d, %d) of a buffer of %d words", off, off+n, b.words)
	}
	bytes := (uint64(n)*4 + 7) &^ 7
	staging, err := d.stagingOf(bytes)
	if err != nil {
		return nil, err
	}
	if freshStaging {
		defer staging.Release()
		defer staging.Destroy()
	}
	if err := d.CopyBuffer(&Buffer{buf: staging, words: n}, 0, b, off, n); err != nil {
		return nil, err
	}
	if err := d.Flush(); err != nil {
		return nil, err
	}
	raw, err := d.mapRead(staging, bytes)
	if err != nil {
		if !freshStaging && d.staging == staging {
			// It may still be mapped: never reuse it.
			d.staging = nil
			d.bury(staging)
		}
		return nil, err
	}
	// The queue runs in order: the map completing means every earlier
	// submission has too.
	d.idle()
	out := make([]uint32, n)
	copy(out, wgpu.FromBytes[uint32](raw[:n*4]))
	return out, nil
}

// stagingOf returns a mappable read-back buffer of at least bytes: the
// kept one, grown to the next power of two (at least 4 KiB) when too small,
// or a fresh one with OTPLAY_FRESH_STAGING=1.
func (d *Device) stagingOf(bytes uint64) (*wgpu.Buffer, error) {
	if !freshStaging && d.staging != nil && d.stagingBytes >= bytes {
		return d.staging, nil
	}
	size := bytes
	if !freshStaging {
		size = max(4096, uint64(1)<<bits.Len64(bytes-1))
	}
	buf, err := d.dev.CreateBuffer(&wgpu.BufferDescriptor{Size: size, Usage: wgpu.BufferUsageMapRead | wgpu.BufferUsageCopyDst})
	if err != nil {
		return nil, fmt.Errorf("gpu: readback buffer: %w", err)
	}
	if !freshStaging {
		if d.staging != nil {
			d.bury(d.staging)
		}
		d.staging, d.stagingBytes = buf, size
	}
	return buf, nil
}

// Wait submits the batch and blocks until the device has finished it.
func (d *Device) Wait() error {
	if err := d.Flush(); err != nil {
		return err
	}
	if err := d.waitIdle(); err != nil {
		return err
	}
	d.idle()
	return nil
}

// Close flushes recorded work. Natively the device is shared by the
// process (see Open) and stays open; in the browser Close releases the
// pipelines and the Device must not be used afterwards.
func (d *Device) Close() {
	if d.enc != nil {
		d.Flush()
	}
	if d.keepOpen {
		return
	}
	if d.staging != nil {
		d.staging.Release()
		d.staging = nil
	}
	for _, k := range d.pipes {
		k.pipe.Release()
		k.layout.Release()
	}
	d.pipes = nil
}

func newDevice(info Info, dev *wgpu.Device) *Device {
	return &Device{info: info, dev: dev, queue: dev.GetQueue(), pipes: map[string]*Kernel{}, binds: map[bindKey]boundGroup{}, lostC: make(chan struct{})}
}

// softwareName reports whether an adapter name is one of the CPU
// implementations of Vulkan or WebGPU (Mesa's llvmpipe/lavapipe, Google's
// SwiftShader, Microsoft's WARP), for drivers that do not report the CPU
// adapter type.
func softwareName(name string) bool {
	n := strings.ToLower(name)
	for _, s := range []string{"llvmpipe", "lavapipe", "swiftshader", "microsoft basic render driver"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

func featureNames(fs []wgpu.FeatureName) []string {
	var out []string
	for _, f := range fs {
		if s := f.String(); s != "" {
			out = append(out, strings.ToLower(s))
		}
	}
	return out
}
