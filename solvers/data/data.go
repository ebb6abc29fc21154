package data

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Set is a point cloud: N points in dimension D, row-major (point i
// occupies Points[i*D : (i+1)*D]).
type Set struct {
	// Name is the generator's name ("moons", "digits", ...) or the file
	// path the points came from.
	Name   string
	Points []float64
	N, D   int
	// Labels holds one class per point where the set has classes (the
	// mixture component, moon, ring, spiral arm or digit), else nil.
	Labels []int
}

// Point returns point i (shared with Points, not copied).
func (s Set) Point(i int) []float64 { return s.Points[i*s.D : (i+1)*s.D] }

// Limits on what Generate, Parse and the file loaders accept, so that a
// typo cannot allocate the machine away.
const (
	// MaxPoints is the largest number of points of one set (2^22).
	MaxPoints = 1 << 22
	// MaxElements is the largest N*D of one set (2^26 floats, 512 MiB
	// of float64).
	MaxElements = 1 << 26
	// MaxDim is the largest dimension of the gaussian and uniform sets.
	MaxDim = 4096
)

// DefaultN is the number of points of a spec that names none ("moons"),
// except digits, whose default is the whole set (1,797).
const DefaultN = 512

// ErrBadSpec is wrapped by every error about a spec, an option, or a
// file's contents. Use errors.Is.
var ErrBadSpec = errors.New("data: bad input")

func specErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadSpec, fmt.Sprintf(format, args...))
}

// Options are the keys of a spec. The zero value means the defaults.
type Options struct {
	// Seed selects the random stream (math/rand/v2 PCG seeded with
	// (Seed, "otplay")); default 0. The same seed gives the same points.
	Seed uint64
	// D is the dimension of gaussian and uniform (default 2); the other
	// sets have a fixed dimension (2, or 64 for digits) and reject D.
	D int
	// Scale multiplies every coordinate (default 1). Scale = 2 gives the
	// 2-D toys at FFJORD's scale.
	Scale float64
	// Class restricts digits to the listed digits (nil: all ten).
	Class []int
}

type setInfo struct {
	gen   generator
	dim   int // 0: takes Options.D
	about string
}

var sets = map[string]setInfo{
	"moons":        {moons, 2, "two interleaved half circles (scikit-learn make_moons, noise 0.1)"},
	"circles":      {circles, 2, "two concentric circles (scikit-learn make_circles, factor 0.5, noise 0.08)"},
	"8gaussians":   {eightGaussians, 2, "eight Gaussians on a circle (FFJORD)"},
	"25gaussians":  {twentyFiveGaussians, 2, "a 5 x 5 grid of Gaussians (WGAN-GP)"},
	"swissroll":    {swissRoll, 2, "a 2-D Swiss roll (scikit-learn make_swiss_roll, FFJORD)"},
	"checkerboard": {checkerboard, 2, "uniform on the dark squares of a 4 x 4 board (FFJORD)"},
	"spirals":      {spirals, 2, "two interleaved spirals (FFJORD 2spirals)"},
	"pinwheel":     {pinwheel, 2, "five curved arms (FFJORD pinwheel)"},
	"rings":        {rings, 2, "four concentric rings (FFJORD)"},
	"gaussian":     {gaussian, 0, "standard normal in d dimensions"},
	"uniform":      {uniform, 0, "uniform on [-1, 1]^d"},
	"digits":       {nil, DigitPixels, "8 x 8 handwritten digits (UCI, scikit-learn), 64-D in [-1, 1]"},
}

// Names returns the names of the built-in sets, sorted (for menus).
func Names() []string {
	names := make([]string, 0, len(sets))
	for n := range sets {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// About returns a one-line description of a built-in set, or "" for an
// unknown name.
func About(name string) string { return sets[name].about }

// Dim returns the dimension a built-in set has with options o, or 0 for
// an unknown name.
func Dim(name string, o Options) int {
	info, ok := sets[name]
	if !ok {
		return 0
	}
	if info.dim == 0 {
		if o.D == 0 {
			return 2
		}
		return o.D
	}
	return info.dim
}

// Generate draws n points of the built-in set name. The same (name, n,
// options) always gives the same points. Errors wrap ErrBadSpec and name
// the offending argument: unknown names (listing the valid ones), n
// outside [1, MaxPoints], a dimension outside [1, MaxDim], options a set
// does not take.
func Generate(name string, n int, o Options) (Set, error) {
	info, ok := sets[name]
	if !ok {
		return Set{}, specErr("unknown data set %q (valid: %s, or a path ending in .csv, .txt, .tsv, .dat, .npy or .npz)", name, strings.Join(Names(), ", "))
	}
	if n < 1 || n > MaxPoints {
		return Set{}, specErr("%s: n = %d outside [1, %d]", name, n, MaxPoints)
	}
	d := info.dim
	if d == 0 {
		d = 2
		if o.D != 0 {
			d = o.D
		}
		if d < 1 || d > MaxDim {
			return Set{}, specErr("%s: d = %d outside [1, %d]", name, d, MaxDim)
		}
	} else if o.D != 0 && o.D != d {
		return Set{}, specErr("%s: has dimension %d; d = %d is not an option", name, d, o.D)
	}
	if n*d > MaxElements {
		return Set{}, specErr("%s: n*d = %d*%d exceeds the limit of %d values", name, n, d, MaxElements)
	}
	scale := o.Scale
	if scale == 0 {
		scale = 1
	}
	if math.IsNaN(scale) || math.IsInf(scale, 0) {
		return Set{}, specErr("%s: scale = %v is not finite", name, scale)
	}
	if len(o.Class) > 0 && name != "digits" {
		return Set{}, specErr("%s: class selects digits only", name)
	}
	var s Set
	if name == "digits" {
		var err error
		s, err = sampleDigits(n, o)
		if err != nil {
			return Set{}, err
		}
	} else {
		pts, labels := info.gen(newRand(o.Seed), n, d)
		s = Set{Name: name, Points: pts, N: n, D: d, Labels: labels}
	}
	if scale != 1 {
		for i := range s.Points {
			s.Points[i] *= scale
		}
	}
	return s, nil
}

// Parse reads a data spec:
//
//	name[:n][:key=value...]   a built-in set, e.g. moons:512:seed=3,
//	                          gaussian:1000:d=3:seed=1, digits:500:class=3
//	path.csv, path.npy        points from a file (see Load)
//
// Keys: seed (uint64, default 0), d (gaussian and uniform, default 2),
// scale (default 1), class (digits only: one digit 0..9, or several
// joined by '+', e.g. class=3+8). n defaults to DefaultN (digits: all
// 1,797). Errors wrap ErrBadSpec and say which part is wrong.
func Parse(spec string) (Set, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return Set{}, specErr("empty data spec (want name:n[:key=value...] or a .csv/.txt/.npy/.npz path; sets: %s)", strings.Join(Names(), ", "))
	}
	if isFilePath(spec) {
		return Load(spec)
	}
	parts := strings.Split(spec, ":")
	name := strings.ToLower(parts[0])
	if _, ok := sets[name]; !ok {
		return Set{}, specErr("unknown data set %q (valid: %s, or a path ending in .csv, .txt, .tsv, .dat, .npy or .npz)", parts[0], strings.Join(Names(), ", "))
	}
	n := DefaultN
	if name == "digits" {
		n = DigitCount
	}
	var o Options
	rest := parts[1:]
	if len(rest) > 0 && !strings.Contains(rest[0], "=") {
		v, err := strconv.Atoi(rest[0])
		if err != nil {
			return Set{}, specErr("%q: the number of points %q is not an integer", spec, rest[0])
		}
		n = v
		rest = rest[1:]
	}
	seen := map[string]bool{}
	for _, kv := range rest {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return Set{}, specErr("%q: %q is not key=value (keys: seed, d, scale, class)", spec, kv)
		}
		k = strings.ToLower(strings.TrimSpace(k))
		v = strings.TrimSpace(v)
		if seen[k] {
			return Set{}, specErr("%q: key %q given twice", spec, k)
		}
		seen[k] = true
		var err error
		switch k {
		case "seed":
			o.Seed, err = strconv.ParseUint(v, 10, 64)
		case "d":
			o.D, err = strconv.Atoi(v)
			if err == nil && o.D == 0 {
				err = errors.New("must be >= 1")
			}
		case "scale":
			o.Scale, err = strconv.ParseFloat(v, 64)
			if err == nil && (o.Scale == 0 || math.IsNaN(o.Scale) || math.IsInf(o.Scale, 0)) {
				err = errors.New("must be finite and nonzero")
			}
		case "class":
			for _, c := range strings.Split(v, "+") {
				var digit int
				digit, err = strconv.Atoi(c)
				if err == nil && (digit < 0 || digit > 9) {
					err = errors.New("digits are 0..9")
				}
				if err != nil {
					break
				}
				o.Class = append(o.Class, digit)
			}
		default:
			return Set{}, specErr("%q: unknown key %q (keys: seed, d, scale, class)", spec, k)
		}
		if err != nil {
			return Set{}, specErr("%q: %s = %q: %v", spec, k, v, unwrapNum(err))
		}
	}
	return Generate(name, n, o)
}

// unwrapNum drops strconv's "strconv.ParseUint: parsing ..." prefix.
func unwrapNum(err error) error {
	var ne *strconv.NumError
	if errors.As(err, &ne) {
		return ne.Err
	}
	return err
}

// IsFile reports whether a spec names a file Load reads (by its
// extension: .csv, .txt, .tsv, .dat, .npy, .npz) rather than a built-in set.
func IsFile(spec string) bool { return isFilePath(strings.TrimSpace(spec)) }

// isFilePath reports whether a spec names a file (by its extension).
func isFilePath(spec string) bool {
	_, ok := fileExt(spec)
	return ok
}
