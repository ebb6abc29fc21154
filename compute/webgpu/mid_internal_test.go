package webgpu

import (
	"testing"

	"github.com/otplay/otplay/shaders"
)

// TestMidTileFits checks that every mid kernel's workgroup memory (the
// tile of vec4s and the factored form's two u32 flags) stays within
// WebGPU's guaranteed 16 KiB, at every d and dv the kernels take.
func TestMidTileFits(t *testing.T) {
	for d := shaders.MidMinDim; d <= shaders.MidMaxDim; d++ {
		for dv := 0; dv <= shaders.MidMaxValues; dv++ {
			for _, factor := range []bool{false, true} {
				max := 256
				if dv > 0 {
					max = 128
				}
				tile := midTile(d, dv, max, factor, false)
				if bytes := tile*16*shaders.MidColumnVec4s(d, dv, factor, false) + 8; tile < 1 || bytes > 4*workgroupFloats {
					t.Errorf("d=%d dv=%d factor=%v: tile %d takes %d bytes of workgroup memory", d, dv, factor, tile, bytes)
				}
			}
		}
	}
}
