// gather.wgsl: dst[i] = sum_{t < k} src[idx[i*k+t]], skipping idx < 0
// (compute.Backend.GatherSum: patch unfold with k = 1, fold with k > 1).
//
// Go equivalent: for i := range dst { for t := 0; t < k; t++ { if j := idx[i*k+t]; j >= 0 { dst[i] += src[j] } } }
//
// Bindings: 0 dst, 1 src, 2 idx (float-coded integers < 2^24), 3 uniform.
// Workgroup: 256 invocations, one output each; the grid folds into y.
//
// The sum runs over t in [t0, t1) and adds dst's value when acc != 0: a
// software adapter (llvmpipe ends a shader's loops after 65,535
// iterations) takes k in chunks, one dispatch each (compute/webgpu's
// GatherSum); hardware takes [0, k) at once.

struct Params { n: u32, k: u32, nsrc: u32, gx: u32, t0: u32, t1: u32, acc: u32, pad: u32 }

@group(0) @binding(0) var<storage, read_write> dst: array<f32>;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> idx: array<f32>;
@group(0) @binding(3) var<uniform> P: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x + gid.y * P.gx * 256u;
  if (i >= P.n) { return; }
  var t = 0.0;
  if (P.acc != 0u) { t = dst[i]; }
  for (var q = P.t0; q < P.t1; q++) {
    let f = idx[i * P.k + q];
    if (f >= 0.0) {
      let j = u32(f);
      if (j < P.nsrc) { t += src[j]; }
    }
  }
  dst[i] = t;
}
