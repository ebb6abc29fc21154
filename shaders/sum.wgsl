// sum.wgsl: partial sums for compute.Backend.Sum.
//
// Go equivalent, for each workgroup w:
//
//	part[w] = sum_{i in [w*CHUNK, (w+1)*CHUNK) and i < n} X[i]      (CHUNK = 256*16)
//
// The host adds the partials in float64. Bindings: 0 part, 1 X, 2 uniform.
// Workgroup: 256 invocations, each summing 16 strided elements, then a tree
// reduction in workgroup memory.

struct Params { n: u32, gx: u32, p0: u32, p1: u32 }

@group(0) @binding(0) var<storage, read_write> part: array<f32>;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<uniform> P: Params;

var<workgroup> red: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let w = wid.x + wid.y * P.gx;
  let base = w * 4096u;
  var t = 0.0;
  for (var q = 0u; q < 16u; q++) {
    let i = base + q * 256u + lid.x;
    if (i < P.n) { t += X[i]; }
  }
  red[lid.x] = t;
  workgroupBarrier();
  for (var h = 128u; h > 0u; h = h / 2u) {
    if (lid.x < h) { red[lid.x] += red[lid.x + h]; }
    workgroupBarrier();
  }
  if (lid.x == 0u) { part[w] = red[0]; }
}
