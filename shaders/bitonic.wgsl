// bitonic.wgsl: one compare-exchange stage of a bitonic sort of each row
// (compute.Backend.SortRows), in the all-ascending form (Batcher 1968;
// the "flip then half-cleaner" arrangement) so that rows padded to a power
// of two behave as if padded with +Inf: a pair whose upper index is past
// the row's end is left alone.
//
// Go equivalent of one stage, for every pair q of every row:
//
//	lo := (q / j) * 2j + q % j;  hi := flip ? lo ^ (2j - 1) : lo + j
//	if hi < cols && row[hi] < row[lo] { swap }
//
// The host runs stages for block sizes 2, 4, ..., P: first the flip with
// j = size/2, then half-cleaners j = size/4, ..., 1.
// Bindings: 0 X (rows*cols, sorted in place), 1 uniform. Workgroup: 256
// invocations, one pair each; the grid folds into y.

struct Params { rows: u32, cols: u32, half: u32, j: u32, flip: u32, gx: u32, p0: u32, p1: u32 }

@group(0) @binding(0) var<storage, read_write> X: array<f32>;
@group(0) @binding(1) var<uniform> P: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let t = gid.x + gid.y * P.gx * 256u;
  if (t >= P.rows * P.half) { return; }
  let row = t / P.half;
  let q = t % P.half;
  let lo = (q / P.j) * 2u * P.j + q % P.j;
  var hi = lo + P.j;
  if (P.flip != 0u) { hi = lo ^ (2u * P.j - 1u); }
  if (hi >= P.cols) { return; }
  let a = row * P.cols + lo;
  let b = row * P.cols + hi;
  let va = X[a];
  let vb = X[b];
  if (vb < va) {
    X[a] = vb;
    X[b] = va;
  }
}
