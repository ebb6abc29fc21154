//go:build !js

package gpu

/*
#include <stdlib.h>
#include <string.h>

// otplay_prime_malloc leaves a zeroed free chunk of n bytes on top of
// malloc's free list for that size, so the next malloc(n) returns zeroed
// memory (glibc's tcache and fastbins are LIFO per size class).
static void otplay_prime_malloc(size_t n) {
	void *p = calloc(1, n);
	free(p);
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
// cogentcore/webgpu v0.23.0 mallocs WGPUInstanceExtras without zeroing it
// and sets only some fields; a garbage gles3MinorVersion makes wgpu-native
// abort the process ("Unknown gles3 minor version"), which Go cannot
// recover from. Seen here on the third instance of one process. So:
// one instance per process, created right after priming malloc with a
// zeroed chunk of the struct's size, with both DXC paths set (the binding
// copies only non-empty ones).
func instance(backends wgpu.InstanceBackend) (*wgpu.Instance, error) {
	instOnce.Do(func() {
		C.otplay_prime_malloc(C.size_t(instanceExtrasSize))
		inst = wgpu.CreateInstance(&wgpu.InstanceDescriptor{Backends: backends, DxilPath: "dxil.dll", DxcPath: "dxcompiler.dll"})
		if inst == nil {
			instErr = fmt.Errorf("%w: could not create a WebGPU instance", ErrNoAdapter)
		}
	})
	return inst, instErr
}

// fillMalloc leaves k free chunks of n bytes filled with byte b on top of
// the calling thread's malloc free lists: the heap garbage a binding's
// uninitialised malloc then reads (tests use it to show what reads it).
func fillMalloc(n, k int, b byte) { C.otplay_fill_malloc(C.size_t(n), C.int(k), C.int(b)) }
