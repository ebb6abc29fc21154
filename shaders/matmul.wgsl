// matmul.wgsl: dst (n x m) = op(A) op(B) with op(A) n x k, op(B) k x m.
//
// Go equivalent (compute.CPU.MatMul):
//
//	for i, j: dst[i*m+j] = sum_l opA(i, l) * opB(l, j)
//	opA(i, l) = transA ? A[l*n+i] : A[i*k+l];  opB(l, j) = transB ? B[j*k+l] : B[l*m+j]
//
// Bindings: 0 dst, 1 A, 2 B, 3 uniform. Workgroup: 16 x 16 invocations, one
// output each; 16 x 16 tiles of op(A) and op(B) pass through workgroup
// memory (2 KiB), the classic shared-memory tiling. Grid: (ceil(m/16),
// ceil(n/16)).
//
// The sum runs over l in [k0, k1) and adds dst's value when acc != 0: a
// software adapter (llvmpipe ends a shader's loops after 65,535
// iterations) takes k in chunks, one dispatch each (compute/webgpu's
// MatMul); hardware takes [0, k) at once.

struct Params { n: u32, k: u32, m: u32, ta: u32, tb: u32, k0: u32, k1: u32, acc: u32 }

@group(0) @binding(0) var<storage, read_write> dst: array<f32>;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<uniform> P: Params;

var<workgroup> ta: array<array<f32, 16>, 16>;
var<workgroup> tb: array<array<f32, 16>, 16>;

fn opA(i: u32, l: u32) -> f32 {
  if (i >= P.n || l >= P.k) { return 0.0; }
  if (P.ta != 0u) { return A[l * P.n + i]; }
  return A[i * P.k + l];
}

fn opB(l: u32, j: u32) -> f32 {
  if (l >= P.k || j >= P.m) { return 0.0; }
  if (P.tb != 0u) { return B[j * P.k + l]; }
  return B[l * P.m + j];
}

@compute @workgroup_size(16, 16)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let i = wid.y * 16u + lid.y;
  let j = wid.x * 16u + lid.x;
  var acc = 0.0;
  if (P.acc != 0u && i < P.n && j < P.m) { acc = dst[i * P.m + j]; }
  for (var l0 = P.k0; l0 < P.k1; l0 += 16u) {
    ta[lid.y][lid.x] = opA(i, l0 + lid.x);
    tb[lid.y][lid.x] = opB(l0 + lid.y, j);
    workgroupBarrier();
    for (var q = 0u; q < 16u; q++) { acc = fma(ta[lid.y][q], tb[q][lid.x], acc); }
    workgroupBarrier();
  }
  if (i < P.n && j < P.m) { dst[i * P.m + j] = acc; }
}
