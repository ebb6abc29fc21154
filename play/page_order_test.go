package play

import "testing"

// TestPagesReadingOrder: the gallery and the nav start with /ot and keep
// the diffusion pages after the transport pages, whatever the file names
// make of init order.
func TestPagesReadingOrder(t *testing.T) {
	pos := map[string]int{}
	for i, p := range Pages() {
		pos[p.Path] = i
	}
	if pos["/ot"] != 0 {
		t.Errorf("first page is not /ot: %v", pos)
	}
	for _, pair := range [][2]string{{"/ot", "/sliced"}, {"/sliced", "/diffusion"}, {"/diffusion", "/truncate"}, {"/truncate", "/bridge"}, {"/bridge", "/validate"}} {
		a, okA := pos[pair[0]]
		b, okB := pos[pair[1]]
		if !okA || !okB || a >= b {
			t.Errorf("%s (at %d, %v) should come before %s (at %d, %v)", pair[0], a, okA, pair[1], b, okB)
		}
	}
}
