package ot

// In the browser the host check runs on the page's single wasm thread,
// once per displayed Result: above 2^18 pairs (512 x 512) it samples rows
// and columns, so a frame at n = m = 1000 spends about 2.6e5 exps on it.
func init() { hostCheckPairs = 1 << 18 }
