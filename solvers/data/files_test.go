package data

import (
	"bytes"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestReadCSV(t *testing.T) {
	pts, n, d, err := ReadCSV(strings.NewReader("x, y\n1, 2\n\n# comment\n3.5,-4e-3\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 || d != 2 || !slices.Equal(pts, []float64{1, 2, 3.5, -4e-3}) {
		t.Errorf("ReadCSV with header = %v (%d x %d), want [1 2 3.5 -0.004] (2 x 2)", pts, n, d)
	}
	// numpy.savetxt output (written by testdata/make_npy.py): '#' header.
	f, err := os.Open("testdata/savetxt.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pts, n, d, err = ReadCSV(f)
	if err != nil || n != 3 || d != 2 || !slices.Equal(pts, []float64{1.5, -2.25, 3, 4.125, 0.1, 1e-300}) {
		t.Errorf("ReadCSV(savetxt.csv) = %v (%d x %d), %v", pts, n, d, err)
	}

	bad := []struct{ in, want string }{
		{"1,2\n3\n", "line 2: 1 columns, want 2"},
		{"1,2\n3,x\n", `line 2, column 2: "x" is not a number`},
		{"1,2\n3,\n", "line 2, column 2: empty field"},
		{"1,2\n3,NaN\n", "line 2, column 2: value NaN is not finite (point 1, coordinate 1)"},
		{"1,inf\n", "line 1, column 2: value inf is not finite"},
		{"1,1e400\n", "line 1, column 2: value 1e400 is not finite"},
		// Go literals that Python and C do not read (issue 9 part 5).
		{"1_000,2\n", `line 1, column 1: "1_000" is not a number`},
		{"1,2\n0x1p3,1\n", `line 2, column 1: "0x1p3" is not a number`},
		{"1,2\n0x10,1\n", `line 2, column 1: "0x10" is not a number`},
		{"1,2\n1e,1\n", `"1e" is not a number`},
		{"1,2\n.,1\n", `"." is not a number`},
		{"x 1\n", `line 1, column 1: "x" is not a number`},
		{"1;2\n3;4\n", "line 2, column 1: \"3;4\" is not a number (separate values with commas or spaces)"},
		{"1 2\n3,4\n", `line 2, column 1: "3,4" is not a number`},
		{"1,x\n", `line 1, column 2: "x" is not a number`},
		{"a,b\n", "no data rows"},
		{"", "no data rows"},
	}
	for _, c := range bad {
		_, _, _, err := ReadCSV(strings.NewReader(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ReadCSV(%q) error = %v, want %q", c.in, err, c.want)
		}
	}
}

// TestReadTextAsPeopleWriteIt: one row per way people write point files
// (issue 9 part 5: numpy.savetxt's default space-delimited output used to
// lose its first line as a "header").
func TestReadTextAsPeopleWriteIt(t *testing.T) {
	want := []float64{1.5, -2.25, 3, 4.125, 0.1, 1e-300}
	for _, c := range []struct {
		name, in string
		want     []float64
		n, d     int
	}{
		{"savetxt default (spaces, %.18e)", mustRead(t, "savetxt_spaces.txt"), want, 3, 2},
		{"savetxt tabs", mustRead(t, "savetxt_tabs.tsv"), want, 3, 2},
		{"spaces, no header, first line kept", "1 2\n3 4\n", []float64{1, 2, 3, 4}, 2, 2},
		{"space header", "x y\n1 2\n", []float64{1, 2}, 1, 2},
		{"comma header over space data", "x,y\n1 2\n", []float64{1, 2}, 1, 2},
		{"Python/C forms", "+1.,-.5\n1E+2,3e-2\n", []float64{1, -0.5, 100, 0.03}, 2, 2},
		{"byte order mark and CRLF", "\ufeffa,b\r\n1,2\r\n", []float64{1, 2}, 1, 2},
		{"one column", "1\n2\n3\n", []float64{1, 2, 3}, 3, 1},
	} {
		pts, n, d, err := ReadCSV(strings.NewReader(c.in))
		if err != nil || n != c.n || d != c.d || !slices.Equal(pts, c.want) {
			t.Errorf("%s: ReadCSV = %v (%d x %d), %v; want %v (%d x %d)", c.name, pts, n, d, err, c.want, c.n, c.d)
		}
	}
}

func mustRead(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCSVRoundTripIsExact(t *testing.T) {
	s := mustParse(t, "gaussian:100:d=3:seed=9")
	var b bytes.Buffer
	if err := WriteCSV(&b, s.Points, s.N, s.D); err != nil {
		t.Fatal(err)
	}
	pts, n, d, err := ReadCSV(&b)
	if err != nil || n != 100 || d != 3 || !slices.Equal(pts, s.Points) {
		t.Fatalf("CSV round trip: %d x %d, equal %v, err %v", n, d, slices.Equal(pts, s.Points), err)
	}
}

func TestReadNPYFilesWrittenByNumpy(t *testing.T) {
	good := []struct {
		file  string
		shape []int
		vals  []float64
	}{
		{"f8_2d.npy", []int{3, 2}, []float64{1.5, -2.25, 3, 4.125, 0.1, 1e-300}},
		{"f4_2d.npy", []int{2, 2}, []float64{1.5, -2.25, 3, 4.125}},
		{"f8_1d.npy", []int{3}, []float64{0.25, 0.5, 0.25}},
		// Fortran order, big-endian and integer dtypes (issue 9 part 5).
		{"fortran.npy", []int{2, 3}, []float64{0, 1, 2, 3, 4, 5}},
		{"bigendian.npy", []int{4}, []float64{0, 1, 2, 3}},
		{"int64.npy", []int{4}, []float64{0, 1, 2, 3}},
		{"i4_2d.npy", []int{2, 3}, []float64{1, -2, 3, 4, 5, -6}},
		{"i8_be_2d.npy", []int{2, 3}, []float64{1, -2, 3, 4, 5, -6}},
		{"f4_be_fortran.npy", []int{2, 3}, []float64{1, -2, 3, 4, 5, -6}},
		{"i8_fortran.npy", []int{2, 3}, []float64{1, -2, 3, 4, 5, -6}},
	}
	for _, c := range good {
		b, err := os.ReadFile(filepath.Join("testdata", c.file))
		if err != nil {
			t.Fatal(err)
		}
		vals, shape, err := ReadNPY(bytes.NewReader(b))
		if err != nil || !slices.Equal(shape, c.shape) || !slices.Equal(vals, c.vals) {
			t.Errorf("ReadNPY(%s) = %v %v, %v; want %v %v", c.file, vals, shape, err, c.vals, c.shape)
		}
	}
	bad := []struct{ file, want string }{
		{"i8_huge.npy", "not exact in float64"},
		{"nan.npy", "value 2 [1, 0] is NaN"},
		{"f8_3d.npy", "3-D array"},
	}
	for _, c := range bad {
		b, err := os.ReadFile(filepath.Join("testdata", c.file))
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = ReadNPY(bytes.NewReader(b))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ReadNPY(%s) error = %v, want %q", c.file, err, c.want)
		}
	}
}

func TestNPYMalformed(t *testing.T) {
	good, err := os.ReadFile("testdata/f8_2d.npy")
	if err != nil {
		t.Fatal(err)
	}
	hdr := func(h string) []byte {
		b := []byte(npyMagic + "\x01\x00")
		b = append(b, byte(len(h)), byte(len(h)>>8))
		return append(b, h...)
	}
	cases := []struct {
		in   []byte
		want string
	}{
		{[]byte("abc"), "shorter than its 8-byte preamble"},
		{[]byte("PK\x03\x04zzzzzz"), "bad magic"},
		{[]byte(npyMagic + "\x09\x00\x00\x00"), "format version 9.0"},
		{good[:60], "header truncated"},
		{good[:len(good)-3], "but the file holds 45 bytes of data"},
		{append(slices.Clone(good), 0), "trailing bytes"},
		{hdr("{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }"), `dtype "<i2" not supported`},
		{hdr("{'descr': '<c16', 'fortran_order': False, 'shape': (2,), }"), `dtype "<c16" not supported`},
		{hdr("{'descr': '<f8', 'shape': (2,), }"), "want the keys descr, fortran_order and shape"},
		{hdr("{'descr': '<f8', 'fortran_order': Maybe, 'shape': (2,), }"), "fortran_order is not True or False"},
		{hdr("{'descr': '<f8', 'fortran_order': False, 'shape': (2, x), }"), `shape entry "x"`},
		{hdr("{'descr': '<f8', 'fortran_order': False, 'shape': (), }"), "0-d array"},
		{hdr("{'descr': '<f8', 'fortran_order': False, 'shape': (0, 2), }"), "empty array"},
		{hdr("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999, 2), }"), "exceeds the limit"},
		{hdr("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'x': 1}"), `unknown key "x"`},
		{hdr("['descr']"), "want '{'"},
	}
	for _, c := range cases {
		_, _, err := ReadNPY(bytes.NewReader(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ReadNPY(%q) error = %v, want %q", c.in, err, c.want)
		}
	}
}

// TestNPYHeaderThatLies: a header declaring 2^26 rows over a few bytes of
// data is refused before the data are allocated (issue 9 part 4), whether
// the reader's length is known (checked against the header) or not (the
// buffer grows only with the bytes that arrive).
func TestNPYHeaderThatLies(t *testing.T) {
	h := "{'descr': '<f8', 'fortran_order': False, 'shape': (67108864, 1), }"
	b := []byte(npyMagic + "\x01\x00")
	b = append(b, byte(len(h)), byte(len(h)>>8))
	b = append(append(b, h...), make([]byte, 64)...)
	for _, c := range []struct {
		name string
		r    io.Reader
		want string
	}{
		{"known size", bytes.NewReader(b), "declares shape [67108864 1] of <f8 (536870912 bytes) but the file holds 64 bytes"},
		{"unknown size", io.MultiReader(bytes.NewReader(b)), "data truncated: 64 of 536870912 bytes"},
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, _, err := ReadNPY(c.r)
		runtime.ReadMemStats(&after)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
		if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
			t.Errorf("%s: allocated %d bytes for a refused header; want < 1 MiB", c.name, got)
		}
	}
}

func TestReadNPZ(t *testing.T) {
	for _, c := range []struct {
		file  string
		shape []int
		want  string
	}{
		{"one.npz", []int{2, 3}, ""},
		{"one_compressed.npz", []int{3, 2}, ""},
		{"two.npz", nil, "holds 2 arrays (x, w)"},
	} {
		s, err := Load(filepath.Join("testdata", c.file))
		if c.want != "" {
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Load(%s) error %v, want %q", c.file, err, c.want)
			}
			continue
		}
		if err != nil || s.N != c.shape[0] || s.D != c.shape[1] {
			t.Errorf("Load(%s) = %d x %d, %v; want %v", c.file, s.N, s.D, err, c.shape)
		}
	}
	var b bytes.Buffer
	if err := WriteNPZ(&b, []string{"f", "g"}, [][]float64{{1, 2}, {3}}); err != nil {
		t.Fatal(err)
	}
	names, arr, _, err := ReadNPZ(bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err != nil || !slices.Equal(names, []string{"f", "g"}) || !slices.Equal(arr["f"], []float64{1, 2}) || !slices.Equal(arr["g"], []float64{3}) {
		t.Errorf("npz round trip: %v %v %v", names, arr, err)
	}
	if _, _, _, err := ReadNPZ(bytes.NewReader([]byte("PK junk")), 7); err == nil {
		t.Error("ReadNPZ of junk: no error")
	}
}

func TestNPYRoundTrip(t *testing.T) {
	s := mustParse(t, "moons:37:seed=2")
	var b bytes.Buffer
	if err := WriteNPY(&b, s.Points, s.N, s.D); err != nil {
		t.Fatal(err)
	}
	// numpy's rule: the preamble plus header is a multiple of 64 bytes.
	hlen := int(b.Bytes()[8]) | int(b.Bytes()[9])<<8
	if (10+hlen)%64 != 0 || b.Bytes()[10+hlen-1] != '\n' {
		t.Errorf("npy header of %d bytes: preamble+header not 64-aligned or not newline-terminated", hlen)
	}
	vals, shape, err := ReadNPY(&b)
	if err != nil || !slices.Equal(shape, []int{37, 2}) || !slices.Equal(vals, s.Points) {
		t.Fatalf("npy round trip: shape %v, equal %v, err %v", shape, slices.Equal(vals, s.Points), err)
	}
}

func TestLoadSaveAndWeights(t *testing.T) {
	dir := t.TempDir()
	s := mustParse(t, "gaussian:20:d=3:seed=1")
	for _, ext := range []string{".csv", ".npy"} {
		p := filepath.Join(dir, "pts"+ext)
		if err := Save(p, s.Points, s.N, s.D); err != nil {
			t.Fatal(err)
		}
		got, err := Parse(p)
		if err != nil || got.N != 20 || got.D != 3 || !slices.Equal(got.Points, s.Points) || got.Name != p {
			t.Errorf("Save/Parse %s: %d x %d name %q equal %v err %v", ext, got.N, got.D, got.Name, slices.Equal(got.Points, s.Points), err)
		}
		w := filepath.Join(dir, "w"+ext)
		if err := SaveVector(w, []float64{0.25, 0.5, 0.25}); err != nil {
			t.Fatal(err)
		}
		wv, err := LoadWeights(w)
		if err != nil || !slices.Equal(wv, []float64{0.25, 0.5, 0.25}) {
			t.Errorf("LoadWeights(%s) = %v, %v", ext, wv, err)
		}
	}
	row := filepath.Join(dir, "row.csv")
	os.WriteFile(row, []byte("1,2,3\n"), 0o644)
	if w, err := LoadWeights(row); err != nil || !slices.Equal(w, []float64{1, 2, 3}) {
		t.Errorf("LoadWeights(one row) = %v, %v", w, err)
	}
	bad := map[string]string{
		"neg.csv":  "1\n-2\n",
		"zero.csv": "0\n0\n",
		"mat.csv":  "1,2\n3,4\n",
	}
	wants := map[string]string{"neg.csv": "weight 1 is -2 < 0", "zero.csv": "sum to 0", "mat.csv": "one column or one row, got 2 x 2"}
	for name, body := range bad {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o644)
		if _, err := LoadWeights(p); err == nil || !strings.Contains(err.Error(), wants[name]) || !strings.Contains(err.Error(), p) {
			t.Errorf("LoadWeights(%s) error = %v, want %q and the path", name, err, wants[name])
		}
	}
	if err := Save(filepath.Join(dir, "x.txt"), s.Points, s.N, s.D); err == nil {
		t.Error("Save(x.txt) succeeded; want an error about the extension")
	}
	if err := WriteNPY(&bytes.Buffer{}, []float64{1, 2, 3}, 2, 2); err == nil {
		t.Error("WriteNPY with a wrong shape succeeded")
	}
}

// FuzzReadCSV: the reader never panics, and what it accepts is a finite
// n x d matrix that writes and reads back unchanged.
func FuzzReadCSV(f *testing.F) {
	for _, s := range []string{"1,2\n3,4\n", "x,y\n1,2\n", "# h\n1e300,-0\n", "1,,2\n", "1,2\n3\n", "nan\n", "\xff,1\n", "1;2\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		pts, n, d, err := ReadCSV(strings.NewReader(in))
		if err != nil {
			return
		}
		if n < 1 || d < 1 || len(pts) != n*d {
			t.Fatalf("accepted %q as %d x %d with %d values", in, n, d, len(pts))
		}
		for _, v := range pts {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("accepted a non-finite value from %q", in)
			}
		}
		var b bytes.Buffer
		if err := WriteCSV(&b, pts, n, d); err != nil {
			t.Fatal(err)
		}
		back, n2, d2, err := ReadCSV(&b)
		if err != nil || n2 != n || d2 != d || !slices.Equal(back, pts) {
			t.Fatalf("round trip of %q failed: %v", in, err)
		}
	})
}

// FuzzReadNPY: the reader never panics, and what it accepts round-trips.
func FuzzReadNPY(f *testing.F) {
	for _, name := range []string{"f8_2d.npy", "f4_2d.npy", "f8_1d.npy", "fortran.npy", "nan.npy"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(npyMagic + "\x02\x00\x10\x00\x00\x00{'descr': '<f8'}"))
	f.Fuzz(func(t *testing.T, in []byte) {
		vals, shape, err := ReadNPY(bytes.NewReader(in))
		if err != nil {
			return
		}
		total := 1
		for _, s := range shape {
			total *= s
		}
		if len(shape) < 1 || len(shape) > 2 || total != len(vals) {
			t.Fatalf("accepted shape %v with %d values", shape, len(vals))
		}
		var b bytes.Buffer
		if err := WriteNPY(&b, vals, shape...); err != nil {
			t.Fatal(err)
		}
		back, shape2, err := ReadNPY(&b)
		if err != nil || !slices.Equal(shape2, shape) || !slices.Equal(back, vals) {
			t.Fatalf("round trip failed: %v", err)
		}
	})
}
