  // inc_hd_tile.wgsl (inside main of softmin_hd2.wgsl and
  // softmean_hd2.wgsl): this workgroup's row block and column range, in
  // whole tiles of BN columns, and where its X' chunks start.
  let tx = lid.x;
  let ty = lid.y;
  let rb = wid.x + wid.y * P.gx;
  let row0 = rb * BM;
  let j0 = wid.z * P.jchunk;
  let j1 = min(j0 + P.jchunk, P.m);
  let cb0 = j0 / BN;
  let nt = (j1 - j0 + BN - 1u) / BN;
  let xb = rb * NC * XV;
