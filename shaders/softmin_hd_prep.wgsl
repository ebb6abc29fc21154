// softmin_hd_prep.wgsl: the centred, padded, chunk-transposed copy of a
// point cloud that softmin_hd2.wgsl and softmean_hd2.wgsl read, one pass
// per call.
//
// Go equivalent, for every (block b, chunk c, coordinate kk, point r) of
// the output, BLK points a block and KC coordinates a chunk:
//
//	i, k := b*BLK + r, c*KC + kk
//	T[((b*(DP/KC) + c)*KC + kk)*BLK + r] = X[i*d+k] - C[k]   (i < n, k < d; else 0)
//
// so that one workgroup's chunk of BLK points x KC coordinates is KC*BLK
// consecutive words, stored [coordinate][point]: the tiled kernels copy
// it to workgroup memory with coalesced vec4 loads and read it back as
// vec4s of four points (Volkov and Demmel 2008, "Benchmarking GPUs to
// tune dense linear algebra", the transposed A panel). Centring on C = y_0
// (the first target point) keeps |x - y_0|^2 near the cloud's diameter
// squared, which bounds the rounding of the expanded cost
// (softmin_hd.wgsl). Padding points and coordinates are 0.
//
// Bindings: 0 T (the copy, total words), 1 X (n*d), 2 C (d words: the
// centre), 3 uniform Params.
// Workgroup: 256 invocations, one output word each; the grid folds past
// 65,535 workgroups into y.

struct Params {
  n: u32, d: u32, dp: u32, blk: u32,
  kc: u32, total: u32, gx: u32, pad: u32,
}

@group(0) @binding(0) var<storage, read_write> T: array<f32>;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> C: array<f32>;
@group(0) @binding(3) var<uniform> P: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let idx = gid.x + gid.y * P.gx * 256u;
  if (idx >= P.total) { return; }
  let r = idx % P.blk;
  let rest = idx / P.blk;
  let kk = rest % P.kc;
  let rest2 = rest / P.kc;
  let nc = P.dp / P.kc;
  let i = (rest2 / nc) * P.blk + r;
  let k = (rest2 % nc) * P.kc + kk;
  var v = 0.0;
  if (i < P.n && k < P.d) { v = X[i * P.d + k] - C[k]; }
  T[idx] = v;
}
