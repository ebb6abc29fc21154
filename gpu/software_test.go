package gpu

import "testing"

// CPU implementations are known by name where a driver does not report the
// CPU adapter type.
func TestSoftwareName(t *testing.T) {
	for name, want := range map[string]bool{
		"llvmpipe (LLVM 15.0.6, 256 bits)":     true,
		"lavapipe":                             true,
		"SwiftShader Device (Subzero)":         true,
		"Microsoft Basic Render Driver":        true,
		"NVIDIA H100 80GB HBM3":                false,
		"AMD Radeon RX 7900 XTX (RADV NAVI31)": false,
		"Apple M2":                             false,
		"":                                     false,
	} {
		if got := softwareName(name); got != want {
			t.Errorf("softwareName(%q) = %v, want %v", name, got, want)
		}
	}
}
