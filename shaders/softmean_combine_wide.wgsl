// softmean_combine_wide.wgsl: merges the per-split partials of
// softmean_hd2.wgsl into the soft-mean (and those of softmean.wgsl,
// softmean_small.wgsl and pairs_mid.wgsl on a software adapter where
// softmean_combine.wgsl's (DV + 2) nsplit loop iterations a row would meet
// llvmpipe's limit; compute/webgpu's combineSoftMean) (webgpu.HDShape.MeanCombine 2, the
// default: the whole soft-mean at N = 1e4, d = 64 took 1.03 ms on the
// H100 with it against 1.16 with the per-row merge), as
// softmean_cost_combine.wgsl does, with one invocation per row and group
// of 4 value columns instead of one per row: QV = ceil(DV / 4) times the
// invocations, each with 4 accumulators instead of DV, and the
// invocations of a row read consecutive words of each partial
// (softmean_cost_combine.wgsl's invocations read words DV + 2 apart).
//
// Go equivalent, for i in [0, n) and q in [0, QV), t = 4 q + u < DV:
//
//	M := max_k m_k;  c_k := 2^(m_k - M)
//	dst[i*DV+t] = sum_k c_k acc_k[t] / sum_k c_k s_k
//
// the online-softmax merge of flash-attention's split (Dao et al. 2022,
// "FlashAttention", section 3.1: rescaling partial sums by 2^(m_k - M)).
//
// Bindings: 0 dst (n*DV), 1 part (nsplit*n*(DV+2): per split and row m,
// s, acc[0..DV)), 2 uniform Params.
// Workgroup: 64 invocations, invocation g takes row g / QV and value
// columns 4 (g % QV) .. + 3; the grid folds into y.

struct Params { n: u32, nsplit: u32, gx: u32, pad: u32 }

@group(0) @binding(0) var<storage, read_write> dst: array<f32>;
@group(0) @binding(1) var<storage, read> part: array<f32>;
@group(0) @binding(2) var<uniform> P: Params;

const DV: u32 = {{DV}}u;
const QV: u32 = (DV + 3u) / 4u;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let g = gid.x + gid.y * P.gx * 64u;
  let i = g / QV;
  if (i >= P.n) { return; }
  // The value columns t0 .. t0 + 3, clamped into the row (the duplicates
  // past DV are computed and not stored).
  let t0 = 4u * (g % QV);
  let t = vec4<u32>(t0, min(t0 + 1u, DV - 1u), min(t0 + 2u, DV - 1u), min(t0 + 3u, DV - 1u));
  let stride = DV + 2u;
  var m = -3.0e38;
  for (var k = 0u; k < P.nsplit; k++) { m = max(m, part[(k * P.n + i) * stride]); }
  var s = 0.0;
  var acc = vec4<f32>(0.0);
  for (var k = 0u; k < P.nsplit; k++) {
    let o = (k * P.n + i) * stride;
    let c = exp2(part[o] - m);
    s = fma(part[o + 1u], c, s);
    let a = o + 2u;
    acc = fma(vec4<f32>(part[a + t.x], part[a + t.y], part[a + t.z], part[a + t.w]), vec4<f32>(c), acc);
  }
  let r = acc / s;
  let d = i * DV;
  dst[d + t0] = r.x;
  if (t0 + 1u < DV) { dst[d + t0 + 1u] = r.y; }
  if (t0 + 2u < DV) { dst[d + t0 + 2u] = r.z; }
  if (t0 + 3u < DV) { dst[d + t0 + 3u] = r.w; }
}
