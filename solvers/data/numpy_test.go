package data

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestNumpyReadsOurFiles: the .npy and .npz files otplay writes load in
// numpy with the same values (Debian's python3-numpy at /usr/bin/python3).
func TestNumpyReadsOurFiles(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import numpy").Run(); err != nil {
		if os.Getenv("OTPLAY_REQUIRE_BROWSER") == "1" || os.Getenv("OTPLAY_REQUIRE_GPU") == "1" {
			t.Fatalf("numpy not importable by %s (make deps installs python3-numpy): %v", py, err)
		}
		t.Skipf("numpy not importable by %s (make deps installs python3-numpy): %v", py, err)
	}
	dir := t.TempDir()
	npyPath, npzPath := filepath.Join(dir, "p.npy"), filepath.Join(dir, "fg.npz")
	if err := Save(npyPath, []float64{1.5, -2, 3, 1e-300}, 2, 2); err != nil {
		t.Fatal(err)
	}
	if err := SaveNPZ(npzPath, []string{"f", "g"}, [][]float64{{0.25, -1}, {7}}); err != nil {
		t.Fatal(err)
	}
	script := `import numpy as np, sys
a = np.load(sys.argv[1]); z = np.load(sys.argv[2])
print(a.shape, a.dtype, a.tolist(), sorted(z.files), z["f"].tolist(), z["g"].tolist())`
	out, err := exec.Command(py, "-c", script, npyPath, npzPath).CombinedOutput()
	if err != nil {
		t.Fatalf("numpy failed to load our files: %v\n%s", err, out)
	}
	want := "(2, 2) float64 [[1.5, -2.0], [3.0, 1e-300]] ['f', 'g'] [0.25, -1.0] [7.0]"
	if got := strings.TrimSpace(string(out)); got != want {
		t.Errorf("numpy read\n %s\nwant\n %s", got, want)
	}
}
