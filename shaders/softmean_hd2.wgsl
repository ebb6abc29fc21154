// softmean_hd2.wgsl: the fused soft-mean for d >= 4 (the exact denoiser's
// NFE), tiled like attention with the weights kept once in workgroup
// memory and a register-blocked P.V product.
//
// Go equivalent (compute.CPU.SoftMean), for i in [0, n), in base 2 with
// c = log2(e)/eps, x'_i = x_i - y_0, y'_j = y_j - y_0 and H from
// softmin_hd_bias.wgsl (lw log2 e + g c - c |y'_j|^2):
//
//	for j := j0; j < j1; j++ { v := H[j] + 2c <x'_i, y'_j>; online softmax of v, acc += p V[j] }
//	dst[i*DV+k] = acc[k] / s                               (nsplit == 1)
//	part[(split*n+i)*(DV+2)+{0, 1, 2+k}] = (m, s, acc[k])  (nsplit > 1; softmean_cost_combine.wgsl merges)
//
// The row term -c |x'_i|^2 is the same for every column, so the softmax
// leaves it out. This is flash-attention's tiling (Dao et al. 2022,
// "FlashAttention", Alg. 1; the work split of Dao 2023, FlashAttention-2,
// section 3.1: each invocation owns rows of the output and no P entry is
// computed twice) with the score Q K^T replaced by the expanded
// squared-distance logit (Feydy et al. 2019 eq. 8 for the soft-min; the
// cost tiles as in softmin_hd2.wgsl, from softmin_hd_prep.wgsl's chunks).
// Per tile of BN = 64 columns: the logits of a 64 x 64 block stay in
// registers (4 x 4 per invocation), the rows' tile maxima meet in
// workgroup memory, each invocation rescales its accumulators once
// (2^(m_old - m_new)) and writes its 16 weights p = 2^(L - m) to the
// P tile (64 x 64, row-major vec4s: conflict-free writes), then V passes
// through workgroup memory 64 value columns at a time and each invocation
// adds P[its 4 rows][:] x V[:][its 4 columns] (16 FMAs per 2 vec4 reads).
// The N x M matrix is never stored.
//
// Rounding as in softmin_hd.wgsl (a few 1e-7 x max C / eps in the logits
// after centring; checked in compute/conformance).
//
// Bindings: 0 dst (n*DV, or nsplit*n*(DV+2) partials), 1 XT, 2 YT (vec4
// chunks), 3 H (mpad, vec4), 4 V (m*DV), 5 uniform Params.
// Workgroup: 16 x 16 invocations; invocation (tx, ty) owns the RM rows
// 64 a + 4 ty + u (a < RM/4, u < 4) of a BM = 16 RM row block, the cost
// columns 4 tx + u of each 64-column tile and, per chunk t of 64 value
// columns, the value columns 64 t + 4 tx + u. Below 33 value columns the
// P.V product needs only CG = 1, 2, 4 or 8 column vec4s: invocation tx
// then owns columns 4 (tx % CG) + u over the j-group tx / CG of the P
// columns, and the 16 / CG groups' shares are summed once at the end
// (they share the rows' maxima, so no rescale differs between them).
// Workgroup memory: 1024 vec4 for the X/Y chunks, the row-max exchange
// and the V chunk (in turn), 1024 vec4 for P: 32 KiB (lavapipe's and the
// H100's limits allow it; the Go side falls back to softmean_hd.wgsl
// where the device offers less). With RM = 8 the 128 x 64 P tile does not
// fit: it goes through in NH = 2 halves of PW = 32 columns (each
// invocation keeps its weights in registers and the owners of a half's
// columns write them before that half's P.V steps). Unrolled (the default
// from d = 16), the cost's k steps and the P.V product's j steps are
// written out instead of looped.

struct Params {
  n: u32, m: u32, jchunk: u32, nsplit: u32,
  c2: f32, gx: u32, pad0: u32, pad1: u32,
}

@group(0) @binding(0) var<storage, read_write> dst: array<f32>;
@group(0) @binding(1) var<storage, read> XT: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> YT: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> H: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> V: array<f32>;
@group(0) @binding(5) var<uniform> P: Params;

const DV: u32 = {{DV}}u;
const NC: u32 = {{NC}}u;
const KC: u32 = {{KC}}u;
const BM: u32 = {{BM}}u;
const BN: u32 = 64u;
const XV: u32 = {{XV}}u;
const YV: u32 = {{YV}}u;
const PO: u32 = 1024u;
const CG: u32 = {{CG}}u;
const NEG: f32 = -3.0e38;

var<workgroup> sh: array<vec4<f32>, 2048>;

//#include inc_vec4.wgsl

@compute @workgroup_size(16, 16)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(local_invocation_index) li: u32,
        @builtin(workgroup_id) wid: vec3u) {
//#include inc_hd_tile.wgsl
  let cg = tx % CG;
  let jg = tx / CG;
  // Per row quad a of this invocation: the running max (shared by the 16
  // invocations of the rows) and this invocation's share of the sum.
{{DECL}}
  for (var t = 0u; t < nt; t++) {
{{ACC_ZERO}}
    for (var kc = 0u; kc < NC; kc++) {
{{STAGE}}
{{INNER}}
{{STAGE_END}}
      workgroupBarrier();
    }
    let t0 = j0 + t * BN;
    // Logits (padding columns: H = NEG, Y' = 0, so exactly NEG) and the
    // rows' maxima over this invocation's 4 columns.
    let hv = H[t0 / 4u + tx];
{{LOGITS}}
    workgroupBarrier();
{{WEIGHTS}}
    workgroupBarrier();
    // P_tile x V_tile, 64 value columns at a time.
{{PV}}
  }
  // The row sums (16 shares a row) and, with CG < 16, the j-groups'
  // shares of the accumulators.
{{FINISH}}
}
