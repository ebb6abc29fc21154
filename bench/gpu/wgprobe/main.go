// Command wgprobe runs the product's generated d = 2 soft-min kernel
// (shaders.SoftMinSmall, with softmin_combine.wgsl for the column split, the
// launch shape of compute/webgpu at TargetGroups 2048) through wgpu-native
// v29 (github.com/oliverbestmann/webgpu v1.34.1) instead of the product's
// wgpu-native 0.19 (cogentcore/webgpu v0.23.0): the median of 10 timings of
// 50 (N = 1e4) or 10 (N = 1e5) dispatches per submission, a float64 check of
// 16 sampled rows, and whether an f16 shader (`enable f16;`) and a subgroup
// builtin compile. An evaluation for issue 14, not part of the product; its
// own module so that the product's go.mod does not pull the fork.
//
// Build (cgo, linux/amd64) from this folder:
//
//	GOEXPERIMENT=simd go build -o ../../../.devbin/wgprobe.bin .
//
// and run it on the device beside `otplay bench` (PROBE_FORMS=twopass,lazy
// picks the forms; PROBE_SMALL=1 runs N = 2000 for a software adapter).
package main

import (
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/oliverbestmann/webgpu/wgpu"
	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/shaders"
)

func f32(v float64) uint32 { return math.Float32bits(float32(v)) }

// probeCooperativeMatrix says whether wgpu-native v29 offers the tensor
// cores to WGSL on this adapter: whether the adapter lists
// WGPUNativeFeature_CooperativeMatrix (wgpu's experimental
// EXPERIMENTAL_COOPERATIVE_MATRIX; its wgpu.h: "currently only supports
// 8x8 f32 matrices", offered on Vulkan only where the driver lists an
// 8x8x8 f32 configuration), and where it does, whether a device with it
// opens and a coop_mat shader compiles (PROBE_COOPMAT=1).
func probeCooperativeMatrix(ad *wgpu.Adapter, info wgpu.AdapterInfo) {
	offered := ad.HasFeature(wgpu.NativeFeatureCooperativeMatrix)
	fmt.Printf("wgpu-native v29 cooperative matrix: %s (%s): adapter offers it: %v\n", info.Device, info.BackendType, offered)
	if !offered {
		return
	}
	lim := ad.GetLimits()
	dev, err := ad.RequestDevice(&wgpu.DeviceDescriptor{RequiredFeatures: []wgpu.FeatureName{wgpu.NativeFeatureCooperativeMatrix}, RequiredLimits: &lim})
	if err != nil {
		fmt.Println("cooperative matrix device:", strings.Join(strings.Fields(err.Error()), " "))
		return
	}
	src := "enable wgpu_cooperative_matrix;\n@group(0) @binding(0) var<storage, read_write> o: array<f32>;\n" +
		"@compute @workgroup_size(32) fn main() { var a = coopLoad<coop_mat8x8<f32, A>>(&o[0], 8u); " +
		"var b = coopLoad<coop_mat8x8<f32, B>>(&o[64], 8u); var c = coopLoad<coop_mat8x8<f32, C>>(&o[128], 8u); " +
		"c = coopMultiplyAdd(a, b, c); coopStore(c, &o[128], 8u); }"
	_, err = dev.TryCreateShaderModule(&wgpu.ShaderModuleDescriptor{WGSLSource: &wgpu.ShaderSourceWGSL{Code: src}})
	msg := "compiles"
	if err != nil {
		msg = strings.Join(strings.Fields(err.Error()), " ")
	}
	fmt.Println("cooperative matrix shader:", msg)
}

func main() {
	wgpu.SetLogLevel(wgpu.LogLevelOff)
	inst := wgpu.CreateInstance(&wgpu.InstanceDescriptor{Backends: wgpu.InstanceBackend(1)}) // Vulkan only
	ad, err := inst.RequestAdapter(&wgpu.RequestAdapterOptions{PowerPreference: wgpu.PowerPreferenceHighPerformance})
	if err != nil {
		fmt.Println("adapter:", err)
		return
	}
	info := ad.GetInfo()
	if os.Getenv("PROBE_COOPMAT") == "1" {
		wgpu.SetLogLevel(wgpu.LogLevelInfo) // the binding drops request_device's message; wgpu logs it
		probeCooperativeMatrix(ad, info)
		return
	}
	var want []wgpu.FeatureName
	for _, f := range []wgpu.FeatureName{wgpu.FeatureNameShaderF16, wgpu.FeatureNameSubgroups, wgpu.NativeFeatureSubgroup} {
		if ad.HasFeature(f) {
			want = append(want, f)
		}
	}
	lim := ad.GetLimits()
	dev, err := ad.RequestDevice(&wgpu.DeviceDescriptor{RequiredFeatures: want, RequiredLimits: &lim})
	if err != nil {
		fmt.Println("device:", err)
		return
	}
	fmt.Printf("wgpu-native v29 probe: %s (%s), features asked %v\n", info.Device, info.BackendType, want)
	q := dev.GetQueue()
	probe := map[string]string{
		"f16":       "enable f16;\n@group(0) @binding(0) var<storage, read_write> o: array<f32>;\n@compute @workgroup_size(64) fn main() { let h: f16 = f16(o[1]); o[0] = f32(exp2(h)); }",
		"subgroups": "@group(0) @binding(0) var<storage, read_write> o: array<f32>;\n@compute @workgroup_size(64) fn main() { o[0] = subgroupAdd(o[1]); }",
	}
	for _, k := range []string{"f16", "subgroups"} {
		_, err := dev.TryCreateShaderModule(&wgpu.ShaderModuleDescriptor{WGSLSource: &wgpu.ShaderSourceWGSL{Code: probe[k]}})
		msg := "compiles"
		if err != nil {
			msg = strings.Join(strings.Fields(err.Error()), " ")
		}
		fmt.Printf("%s shader: %s\n", k, msg)
	}
	storage := wgpu.BufferUsageStorage | wgpu.BufferUsageCopyDst | wgpu.BufferUsageCopySrc
	pipe := func(src string, storages int) (*wgpu.ComputePipeline, *wgpu.BindGroupLayout) {
		mod, err := dev.TryCreateShaderModule(&wgpu.ShaderModuleDescriptor{WGSLSource: &wgpu.ShaderSourceWGSL{Code: src}})
		if err != nil {
			panic(err)
		}
		ents := make([]wgpu.BindGroupLayoutEntry, storages+1)
		for i := range storages {
			t := wgpu.BufferBindingTypeReadOnlyStorage
			if i == 0 {
				t = wgpu.BufferBindingTypeStorage
			}
			ents[i] = wgpu.BindGroupLayoutEntry{Binding: uint32(i), Visibility: wgpu.ShaderStageCompute, Buffer: wgpu.BufferBindingLayout{Type: t}}
		}
		ents[storages] = wgpu.BindGroupLayoutEntry{Binding: uint32(storages), Visibility: wgpu.ShaderStageCompute, Buffer: wgpu.BufferBindingLayout{Type: wgpu.BufferBindingTypeUniform}}
		bgl, err := dev.TryCreateBindGroupLayout(&wgpu.BindGroupLayoutDescriptor{Entries: ents})
		if err != nil {
			panic(err)
		}
		pl, err := dev.TryCreatePipelineLayout(&wgpu.PipelineLayoutDescriptor{BindGroupLayouts: []*wgpu.BindGroupLayout{bgl}})
		if err != nil {
			panic(err)
		}
		p, err := dev.TryCreateComputePipeline(&wgpu.ComputePipelineDescriptor{Layout: pl, Compute: wgpu.ProgrammableStageDescriptor{Module: mod, EntryPoint: "main"}})
		if err != nil {
			panic(err)
		}
		return p, bgl
	}
	buf := func(words []uint32) *wgpu.Buffer {
		b, err := dev.TryCreateBufferInit(&wgpu.BufferInitDescriptor{Contents: wgpu.ToBytes(words), Usage: storage})
		if err != nil {
			panic(err)
		}
		return b
	}
	group := func(l *wgpu.BindGroupLayout, params []uint32, bs ...*wgpu.Buffer) *wgpu.BindGroup {
		ub, err := dev.TryCreateBufferInit(&wgpu.BufferInitDescriptor{Contents: wgpu.ToBytes(params), Usage: wgpu.BufferUsageUniform})
		if err != nil {
			panic(err)
		}
		var es []wgpu.BindGroupEntry
		for i, b := range append(bs, ub) {
			es = append(es, wgpu.BindGroupEntry{Binding: uint32(i), Buffer: b, Size: wgpu.WholeSize})
		}
		g, err := dev.TryCreateBindGroup(&wgpu.BindGroupDescriptor{Layout: l, Entries: es})
		if err != nil {
			panic(err)
		}
		return g
	}
	wait := func(idx wgpu.SubmissionIndex) {
		// wgpu-native v29's blocking poll has no 5 s cut-off (gfx-rs/wgpu#7030).
		i := uint64(idx)
		dev.Poll(true, &i)
	}
	read := func(b *wgpu.Buffer, n int) []float32 {
		st, _ := dev.TryCreateBuffer(&wgpu.BufferDescriptor{Size: uint64(n) * 4, Usage: wgpu.BufferUsageMapRead | wgpu.BufferUsageCopyDst})
		enc, _ := dev.TryCreateCommandEncoder(nil)
		enc.TryCopyBufferToBuffer(b, 0, st, 0, uint64(n)*4)
		cb, _ := enc.TryFinish(nil)
		q.Submit(cb)
		done := false
		st.TryMapAsync(wgpu.MapModeRead, 0, uint64(n)*4, func(wgpu.MapAsyncStatus) { done = true })
		for !done {
			dev.Poll(true, nil)
		}
		out := slices.Clone(wgpu.FromBytes[float32](st.GetMappedRange(0, uint(n)*4)))
		st.TryUnmap()
		return out
	}
	forms := map[string]shaders.SmallOptions{"twopass": {Form: shaders.TwoPass}, "lazy": {Form: shaders.Lazy}, "lazy-p4": {Form: shaders.Lazy, PolyEvery: 4}}
	names := []string{"twopass", "lazy", "lazy-p4"}
	if v := os.Getenv("PROBE_FORMS"); v != "" {
		names = strings.Split(v, ",")
	}
	combSrc, _ := shaders.Source("softmin_combine", nil)
	cpipe, cbgl := pipe(combSrc, 2)
	sizes := []int{10000, 100000}
	if os.Getenv("PROBE_SMALL") == "1" {
		sizes = []int{2000}
	}
	for _, n := range sizes {
		const d, r, wg, tile, target = 2, 4, 128, 256, 2048
		eps := 0.05
		x := make([]float64, n*d)
		y := make([]float64, n*d)
		for i := range x {
			x[i], y[i] = compute.UniformAt(1, uint64(i)), compute.UniformAt(2, uint64(i))
		}
		bits := func(v []float64) []uint32 {
			o := make([]uint32, len(v))
			for i, e := range v {
				o[i] = f32(e)
			}
			return o
		}
		xb, yb, dummy := buf(bits(x)), buf(bits(y)), buf(make([]uint32, 4))
		out := buf(make([]uint32, n))
		rowBlocks := (n + wg*r - 1) / (wg * r)
		nsplit := max(1, min((target+rowBlocks-1)/rowBlocks, n/tile))
		jchunk := (n + nsplit - 1) / nsplit
		nsplit = (n + jchunk - 1) / jchunk
		part := buf(make([]uint32, 2*n*nsplit))
		batch := 50
		if n == 100000 {
			batch = 10
		}
		if n < 10000 {
			batch = 2
		}
		for _, name := range names {
			src, err := shaders.SoftMinSmall(d, r, wg, tile, forms[name])
			if err != nil {
				panic(err)
			}
			kp, kbgl := pipe(src, 5)
			dst := out
			if nsplit > 1 {
				dst = part
			}
			params := []uint32{uint32(n), uint32(n), uint32(jchunk), uint32(nsplit), f32(math.Sqrt(math.Log2E / eps)), f32(math.Log2E / eps), f32(math.Log2E), f32(-eps * math.Ln2),
				0, 0, uint32(rowBlocks), 0, f32(1.5 * (1 << 23)), f32(1.5 * (1 << 23)), 0, 0}
			kg := group(kbgl, params, dst, xb, yb, dummy, dummy)
			cg := group(cbgl, []uint32{uint32(n), uint32(nsplit), uint32((n + 63) / 64), 0, f32(-eps * math.Ln2), 0, 0, 0}, out, part)
			run := func(k int) {
				enc, _ := dev.TryCreateCommandEncoder(nil)
				pass := enc.BeginComputePass(nil)
				for range k {
					pass.SetPipeline(kp)
					pass.SetBindGroup(0, kg, nil)
					pass.DispatchWorkgroups(uint32(rowBlocks), 1, uint32(nsplit))
					if nsplit > 1 {
						pass.SetPipeline(cpipe)
						pass.SetBindGroup(0, cg, nil)
						pass.DispatchWorkgroups(uint32((n+63)/64), 1, 1)
					}
				}
				pass.TryEnd()
				pass.Release()
				cb, _ := enc.TryFinish(nil)
				wait(q.Submit(cb))
			}
			run(1)
			ts := make([]float64, 10)
			for i := range ts {
				t0 := time.Now()
				run(batch)
				ts[i] = float64(time.Since(t0).Nanoseconds()) / 1e6 / float64(batch)
			}
			slices.Sort(ts)
			got := read(out, n)
			// float64 check on 16 rows: f_i = -eps log sum_j exp(-|x_i - y_j|^2 / eps) (no weights: the kernel's has_w = 0).
			worst := 0.0
			for s := range 16 {
				i := s * (n / 16)
				mx, vals := math.Inf(-1), make([]float64, n)
				for j := range n {
					dx, dy := x[i*d]-y[j*d], x[i*d+1]-y[j*d+1]
					vals[j] = -(dx*dx + dy*dy) / eps
					mx = max(mx, vals[j])
				}
				sum := 0.0
				for _, v := range vals {
					sum += math.Exp(v - mx)
				}
				want := -eps * (mx + math.Log(sum))
				worst = max(worst, math.Abs(float64(got[i])-want)/(math.Abs(want)+2+eps))
			}
			ms := ts[len(ts)/2]
			fmt.Printf("{\"binding\": \"wgpu-native v29\", \"variant\": %q, \"n\": %d, \"batch\": %d, \"ms\": %.4f, \"pct\": %.1f, \"err_of_scale\": %.2g}\n",
				name, n, batch, ms, 100*float64(n)*float64(n)/(ms/1e3)/4.18e12, worst)
		}
	}
}
