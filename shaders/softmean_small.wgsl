// softmean_small.wgsl: softmean.wgsl specialised for D <= 3 and DV <= 4,
// fully unrolled (see softmin_small.wgsl for the layout and why).
//
// Same reduction as softmean.wgsl (see there for the Go loop and the
// papers). Column j is two vec4s in workgroup memory: (2y'_j, H_j) and its
// values V_j (zero-padded to 4); each row keeps (m, s) and DV scalar
// accumulators in registers, so a pair costs D FMAs, one exp2, one add
// and DV FMAs. The forms (online, two-pass, Lazy: ROWS_PRE and ROWS_POST)
// are those of softmin_small.wgsl; a rescale multiplies s and the
// accumulators alike. SWEEP takes shaders.SmallOptions.Unroll columns an
// iteration (compute/webgpu: two, 4.32-4.36 against 4.82-4.87 ms with one
// at d = 3, N = 1e5 on an H100; bench/gpu/results/margin2-h100.jsonl).
//
// When the rows alone cannot fill the device the column range is split
// across workgroups (grid z), and each split writes the partial
// (m, s, acc[DV]) of its rows: softmean_combine.wgsl merges them.
//
// Bindings: 0 dst (n*DV, or nsplit*n*(DV+2) partials), 1 X, 2 Y, 3 LW, 4 G,
// 5 V, 6 uniform Params (vscale multiplies the means and partial
// accumulators: Backend.SoftMeanY's c, 1 for SoftMean).
// Workgroup: WG invocations x R rows; TILE columns per tile (32 B each).

struct Params {
  n: u32, m: u32, gx: u32, nsplit: u32,
  scale: f32, geps: f32, lwk: f32, vscale: f32,
  has_w: u32, has_g: u32, jchunk: u32, pad3: u32,
  rnd_a: f32, rnd_b: f32, pad4: u32, pad5: u32,
}

@group(0) @binding(0) var<storage, read_write> dst: array<f32>;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> Y: array<f32>;
@group(0) @binding(3) var<storage, read> LW: array<f32>;
@group(0) @binding(4) var<storage, read> G: array<f32>;
@group(0) @binding(5) var<storage, read> V: array<f32>;
@group(0) @binding(6) var<uniform> P: Params;

const D: u32 = {{D}}u;
const DV: u32 = {{DV}}u;
const WG: u32 = {{WG}}u;
const TILE: u32 = {{TILE}}u;
const NEG: f32 = -3.0e38;
// The Lazy form's limit on a row's sum before a tile is summed again (2^64).
const LAZY_LIMIT: f32 = 1.8446744e19;

//#include inc_exp2.wgsl

var<workgroup> tc: array<vec4<f32>, {{TILE}}>;
var<workgroup> tv: array<vec4<f32>, {{TILE}}>;

fn coord(a: u32, k: u32) -> f32 {
  if (k >= D) { return 0.0; }
  return (X[a * D + k] - Y[k]) * P.scale;
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let block = wid.x + wid.y * P.gx;
  let base = block * WG * {{R}}u + lid.x;
  let j0 = wid.z * P.jchunk;
  let j1 = min(j0 + P.jchunk, P.m);
{{ROWS_INIT}}
  for (var t0 = j0; t0 < j1; t0 += TILE) {
    let cnt = min(TILE, j1 - t0);
    for (var q = lid.x; q < cnt; q += WG) {
      let j = t0 + q;
      var h = 0.0;
      if (P.has_w != 0u) { h += LW[j] * P.lwk; }
      if (P.has_g != 0u) { h += G[j] * P.geps; }
      var e = vec4<f32>(0.0);
      for (var k = 0u; k < D; k++) {
        let t = (Y[j * D + k] - Y[k]) * P.scale;
        e[k] = 2.0 * t;
        h -= t * t;
      }
      e.w = h;
      tc[q] = e;
      var w = vec4<f32>(0.0);
      for (var k = 0u; k < DV; k++) { w[k] = V[j * DV + k]; }
      tv[q] = w;
    }
    workgroupBarrier();
{{ROWS_PRE}}
{{SWEEP}}{{ROWS_POST}}    workgroupBarrier();
  }
{{ROWS_FINAL}}
}
