//go:build !js

package gpu

/*
#include <stdlib.h>
#include <string.h>

#include <stdint.h>

// wgpu-native 0.19's instance descriptor and its InstanceExtras chain
// (wgpu.h of github.com/cogentcore/webgpu v0.23.0, wgpu/lib/wgpu.h).
typedef struct { const void *next; uint32_t sType; } otplayChain;
typedef struct {
	otplayChain chain;
	uint32_t backends, flags, dx12ShaderCompiler, gles3MinorVersion;
	const char *dxilPath, *dxcPath;
} otplayInstanceExtras;
typedef struct { const otplayChain *nextInChain; } otplayInstanceDescriptor;
extern void *wgpuCreateInstance(const otplayInstanceDescriptor *descriptor);

// otplay_create_instance creates the instance with every field of its
// extras set (zero but for the backends): WGPUSType_InstanceExtras is
// 0x00030006, gles3MinorVersion 0 is "automatic".
static void *otplay_create_instance(uint32_t backends) {
	otplayInstanceExtras ex;
	memset(&ex, 0, sizeof ex);
	ex.chain.sType = 0x00030006;
	ex.backends = backends;
	otplayInstanceDescriptor d = { &ex.chain };
	return wgpuCreateInstance(&d);
}

// otplay_fill_malloc leaves k free chunks of n bytes filled with byte b on
// top of the calling thread's malloc free lists for that size (k <= 16).
static void otplay_fill_malloc(size_t n, int k, int b) {
	void *p[16];
	if (k > 16) k = 16;
	for (int i = 0; i < k; i++) {
		p[i] = malloc(n);
		if (p[i]) memset(p[i], b, n);
	}
	for (int i = 0; i < k; i++) free(p[i]);
}
*/
import "C"

import (
	"fmt"
	"sync"
	"unsafe"

	"github.com/cogentcore/webgpu/wgpu"
)

// instanceExtrasSize is sizeof(WGPUInstanceExtras) in wgpu-native's
// wgpu.h: a chained struct (pointer + enum, 16 bytes), four 32-bit fields
// and two pointers.
const instanceExtrasSize = 16 + 4*4 + 2*8

var (
	instOnce sync.Once
	inst     *wgpu.Instance
	instErr  error
)

// instance returns the process's WebGPU instance, created once.
//
// cogentcore/webgpu v0.23.0's CreateInstance mallocs WGPUInstanceExtras
// without zeroing it and sets only some fields; a garbage
// gles3MinorVersion makes wgpu-native abort the process ("Unknown gles3
// minor version"), which Go cannot recover from. Priming malloc with
// zeroed chunks first made it rarer, not impossible (glibc's free lists
// are per thread and calloc bypasses the tcache: TestInstanceOnDirtyThreads
// aborted in 5 of 6 runs that way). So otplay fills the struct itself, on
// the C stack, calls wgpuCreateInstance, and wraps the handle in the
// binding's Instance (a struct of one C pointer). One instance per
// process: several crash this wgpu-native version.
func instance(backends wgpu.InstanceBackend) (*wgpu.Instance, error) {
	instOnce.Do(func() {
		ref := C.otplay_create_instance(C.uint32_t(backends))
		if ref == nil {
			instErr = fmt.Errorf("%w: could not create a WebGPU instance", ErrNoAdapter)
			return
		}
		inst = new(wgpu.Instance)
		*(*unsafe.Pointer)(unsafe.Pointer(inst)) = ref
	})
	return inst, instErr
}

// The binding's Instance must stay one C pointer for instance's wrapping.
var _ = [1]struct{}{}[unsafe.Sizeof(wgpu.Instance{})-unsafe.Sizeof(uintptr(0))]

// fillMalloc leaves k free chunks of n bytes filled with byte b on top of
// the calling thread's malloc free lists: the heap garbage a binding's
// uninitialised malloc then reads (tests use it to show what reads it).
func fillMalloc(n, k int, b byte) { C.otplay_fill_malloc(C.size_t(n), C.int(k), C.int(b)) }
