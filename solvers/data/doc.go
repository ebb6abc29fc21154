// Package data provides otplay's point clouds: seeded 2-D toy sets, Gaussian
// and uniform clouds in any dimension, the 8 x 8 handwritten digits, and
// readers and writers for text, .npy and .npz files.
//
// # Specs
//
// Every command and page names its data with one string, read by Parse:
//
//	moons:512:seed=3          512 points of the moons set, stream 3
//	gaussian:1000:d=3:seed=1  standard normal in 3-D
//	digits:500:class=3+8      500 images of threes and eights, 64-D
//	points.csv, points.npy    a file (.csv .txt .tsv .dat .npy .npz; see Load)
//
// The form is name[:n][:key=value...]; n defaults to DefaultN (512; digits:
// the whole set). Keys: seed (default 0), d (gaussian and uniform; default
// 2), scale (multiplies every coordinate; default 1), class (digits only).
// Generate is the same thing with arguments. Names lists the sets for
// menus, About describes one. Randomness is math/rand/v2's PCG seeded with
// (seed, "otplay"): a seed gives the same points on every platform, in the
// browser and natively.
//
// # The toy sets and their scale
//
// The 2-D sets follow the definitions that the flow-matching literature
// uses, from FFJORD's toy_data.py (Grathwohl et al. 2019, "FFJORD:
// Free-form continuous dynamics for scalable reversible generative
// models"), which itself calls scikit-learn's make_moons, make_circles and
// make_swiss_roll, and, for 25gaussians, the WGAN-GP toy (Gulrajani et al.
// 2017). FFJORD's sets fill roughly [-4, 4]^2; otplay multiplies them by
// 1/2 so that every set fills roughly [-2, 2]^2 with per-coordinate
// standard deviation near 1, the scale at which eps = 0.01 .. 1 are the
// meaningful entropic regularisations for the cost |x - y|^2 (scale=2
// restores FFJORD's numbers). Per set (after the factor 1/2):
//
//	moons         make_moons(noise=0.1), FFJORD's 2x + (-1, -0.2), then /2;
//	              x in about [-1.6, 1.6], y in [-0.9, 0.9]; labels: moon 0/1
//	circles       make_circles(factor=0.5, noise=0.08) times 3/2: radii 1.5
//	              and 0.75; labels: 0 outer, 1 inner
//	8gaussians    centres at radius 1.414 (angles k pi/4), std 0.177;
//	              labels: centre 0..7
//	25gaussians   WGAN-GP, unchanged: centres on a 5 x 5 grid of step
//	              0.707 in [-1.414, 1.414]^2, std 0.0177; labels: centre
//	swissroll     make_swiss_roll(noise=1) (x, z) / 10; about [-1.5, 1.5]^2
//	checkerboard  uniform on the 8 dark squares of a 4 x 4 board on [-2, 2]^2
//	spirals       FFJORD 2spirals / 2; about [-1.7, 1.7]^2; labels: arm 0/1
//	pinwheel      FFJORD pinwheel / 2, 5 arms; about [-2, 2]^2; labels: arm
//	rings         four rings, radii 1.5, 1.125, 0.75, 0.375, noise 0.04;
//	              labels: ring 0 (outer) .. 3 (inner)
//	gaussian      N(0, I_d)
//	uniform       uniform on [-1, 1]^d
//
// # Digits
//
// The "Optical Recognition of Handwritten Digits" set (Alpaydin and Kaynak
// 1998, UCI Machine Learning Repository, CC BY 4.0, as distributed in
// scikit-learn) is embedded in the package (digits.csv.gz; attribution in
// ATTRIBUTION.md beside it): 1,797 images of 8 x 8 pixels with
// intensities 0..16, scaled to [-1, 1] by x/8 - 1 (the range diffusion
// models expect). digits:N draws N distinct images in a seeded random
// order; Set.Labels holds their digits. Digits returns the whole set.
//
// # Files
//
// Files are read as people write them (Load dispatches on the extension):
//
//   - Text (.csv, .txt, .tsv, .dat; ReadCSV): one point per line, values
//     separated by commas, or by spaces and tabs (numpy.savetxt's default)
//     when the first data line has no comma. '#' lines (savetxt's header)
//     and blank lines are skipped; a first line is a header only when none
//     of its fields is a number. Numbers use the syntax Python's float and
//     C's strtod share (1, -2.5, .5, 3., 1e-3); Go-only forms such as 1_000
//     and 0x1p3 are refused.
//   - .npy (ReadNPY): float32, float64, int32 or int64, little- or
//     big-endian, C or Fortran order, 1-D or 2-D, format versions 1 to 3.
//     The header is checked before the data are read: its declared size
//     against MaxElements and against the bytes the file holds, so a header
//     claiming 2^26 rows over a small file allocates nothing. The values
//     are decoded by github.com/sbinet/npyio (v0.9.0) behind that check;
//     the browser build uses a plain encoding/binary decoder instead
//     (npyio would add 0.66 MB to the wasm), and TestDecodersAgree checks
//     that the two agree. Integers beyond 2^53 are refused (not exact in
//     float64).
//   - .npz (ReadNPZ, native build only): numpy.savez or savez_compressed
//     archives; Load wants one array in the archive.
//
// WriteCSV, WriteNPY, Save and SaveVector write points and vectors (CSV
// with the shortest exact decimal form; .npy as little-endian float64,
// format 1.0, header padded to 64 bytes as numpy does); WriteNPZ and
// SaveNPZ write named vectors (the solver's potentials f and g). Save,
// SaveVector and SaveNPZ write atomically through internal/safefile: a
// unique temporary file in the same folder, synced, then renamed, so an
// interrupted write leaves the old file whole. Every error about input
// wraps ErrBadSpec and says where the problem is: the line and column of
// a text file, the index of a NaN, the key of a spec; nothing panics on
// user input (FuzzReadCSV and FuzzReadNPY, with their corpus in
// testdata/fuzz, run as tests; `go test -fuzz FuzzReadNPY` explores more).
//
// # Limits
//
// At most MaxPoints points and MaxElements values per set, dimension at
// most MaxDim for gaussian and uniform, so a typo cannot allocate the
// machine away.
package data
