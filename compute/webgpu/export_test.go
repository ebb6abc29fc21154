package webgpu

// SetHDSharedCap lowers the workgroup memory the high-d kernels see
// (0: the device's), for the fallbacks of devices with less.
func (b *Backend) SetHDSharedCap(n uint32) { b.hd.sharedCap = n }

// HDShared is the workgroup memory of the last softmin_hd2.wgsl or
// softmean_hd2.wgsl call, 0 where it fell back to softmin_hd.wgsl or
// softmean_hd.wgsl.
func (b *Backend) HDShared() uint32 { return b.hd.shared }

// SetExactChunkCap caps the columns of one exact_rows.wgsl dispatch (0:
// all on hardware, the loop budget's on a software adapter), so that a
// small test runs the chunked form.
func (b *Backend) SetExactChunkCap(n int) { b.exactChunkCap = n }

// SetExactPaths sets where the special-value redo scans the inputs
// (scan > 0: every adapter, < 0: none, as on hardware; 0: software
// adapters) and lets a software adapter's soft-min merge redo the rows
// itself (inline), so that lavapipe runs every form.
func (b *Backend) SetExactPaths(scan int, inline bool) {
	b.exactScan, b.exactInline = scan, inline
}

// SetExactColumnsOff sets OTPLAY_EXACT_COLUMNS=0's form (exact.go): every
// redone row on the full loop, and the split soft-min's merges redoing
// theirs inline.
func (b *Backend) SetExactColumnsOff(off bool) { exactColumnsOff = off }
