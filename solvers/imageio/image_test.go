package imageio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
)

func TestLoadPhotographs(t *testing.T) {
	for _, name := range []string{"china.jpg", "flower.jpg"} {
		img, err := Load(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if img.Width != 640 || img.Height != 427 {
			t.Errorf("%s: size %d x %d, want 640 x 427 (../shared/data/README.md)", name, img.Width, img.Height)
		}
		if err := img.Validate(name); err != nil {
			t.Error(err)
		}
		var mean float64
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range img.Pix {
			mean += v
			lo, hi = min(lo, v), max(hi, v)
		}
		mean /= float64(len(img.Pix))
		if lo < 0 || hi > 1 || hi-lo < 0.5 || mean < 0.1 || mean > 0.9 {
			t.Errorf("%s: values in [%g, %g], mean %g: not a decoded photograph", name, lo, hi, mean)
		}
	}
}

func TestPNGRoundTrip(t *testing.T) {
	img, _ := New(7, 5)
	for i := range img.Pix {
		img.Pix[i] = float64((i*37)%256) / 255
	}
	smooth := ramp(32, 24, 0.2, 0.01, 0.005)
	for i := range smooth.Pix {
		smooth.Pix[i] /= 3
	}
	var buf bytes.Buffer
	if err := EncodePNG(&buf, img); err != nil {
		t.Fatal(err)
	}
	back, format, err := Decode(&buf)
	if err != nil || format != "png" {
		t.Fatalf("Decode: format %q, err %v", format, err)
	}
	for i := range img.Pix {
		if back.Pix[i] != img.Pix[i] {
			t.Fatalf("Pix[%d] = %g after PNG round trip, want %g", i, back.Pix[i], img.Pix[i])
		}
	}
	// Save / Load through a file, JPEG too (lossy: mean error below 2/255).
	dir := t.TempDir()
	for _, name := range []string{"a.png", "a.jpg"} {
		p := filepath.Join(dir, name)
		in := img
		if name == "a.jpg" {
			in = smooth // JPEG is lossy: give it a smooth picture
		}
		if err := Save(p, in); err != nil {
			t.Fatal(err)
		}
		got, err := Load(p)
		if err != nil {
			t.Fatal(err)
		}
		var e float64
		for i := range in.Pix {
			e += math.Abs(got.Pix[i] - in.Pix[i])
		}
		e /= float64(len(in.Pix))
		if (name == "a.png" && e != 0) || e > 2.0/255 {
			t.Errorf("%s: mean abs error %g after Save/Load", name, e)
		}
	}
}

func TestDecode16BitAndGray(t *testing.T) {
	m := image.NewNRGBA64(image.Rect(0, 0, 2, 1))
	m.SetNRGBA64(0, 0, color.NRGBA64{R: 65535, G: 32768, B: 1, A: 65535})
	m.SetNRGBA64(1, 0, color.NRGBA64{R: 0, G: 65535, B: 0, A: 65535})
	var buf bytes.Buffer
	png.Encode(&buf, m)
	img, _, err := Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{1, 32768.0 / 65535, 1.0 / 65535, 0, 1, 0}
	for i, w := range want {
		if math.Abs(img.Pix[i]-w) > 1e-12 {
			t.Errorf("16-bit Pix[%d] = %g, want %g", i, img.Pix[i], w)
		}
	}
	g := image.NewGray(image.Rect(0, 0, 1, 1))
	g.Pix[0] = 51
	buf.Reset()
	png.Encode(&buf, g)
	img, _, err = Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for c := 0; c < 3; c++ {
		if img.Pix[c] != 0.2 {
			t.Errorf("grey pixel channel %d = %g, want 0.2", c, img.Pix[c])
		}
	}
}

// pngWithSize returns a valid 1x1 grey PNG whose IHDR claims w x h.
func pngWithSize(t *testing.T, w, h uint32) []byte {
	t.Helper()
	var buf bytes.Buffer
	png.Encode(&buf, image.NewGray(image.Rect(0, 0, 1, 1)))
	b := buf.Bytes()
	// Signature (8) + length (4) + "IHDR" (4): width at 16, height at 20, CRC at 29.
	binary.BigEndian.PutUint32(b[16:], w)
	binary.BigEndian.PutUint32(b[20:], h)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

func TestDecodeBadInput(t *testing.T) {
	jpg, err := os.ReadFile(filepath.Join("testdata", "china.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	var gifBuf bytes.Buffer
	gif.Encode(&gifBuf, image.NewPaletted(image.Rect(0, 0, 2, 2), color.Palette{color.Black, color.White}), nil)
	cases := []struct {
		name string
		data []byte
		want error
	}{
		{"empty file", nil, ErrFormat},
		{"text", []byte("hello, not an image"), ErrFormat},
		{"gif", gifBuf.Bytes(), ErrFormat},
		{"truncated jpeg", jpg[:len(jpg)/3], ErrFormat},
		{"jpeg header only", jpg[:2], ErrFormat},
		{"png 100000 x 100000", pngWithSize(t, 100000, 100000), ErrTooLarge},
		{"png 5000 x 5000 (25 Mpixel)", pngWithSize(t, 5000, 5000), ErrTooLarge},
		{"png 0 x 3", pngWithSize(t, 0, 3), nil}, // Go's decoder rejects it as a format error or we as empty
	}
	for _, c := range cases {
		img, _, err := Decode(bytes.NewReader(c.data))
		if err == nil || img != nil {
			t.Errorf("%s: Decode returned no error", c.name)
			continue
		}
		if c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%s: error %v, want %v", c.name, err, c.want)
		}
		if c.want == nil && !errors.Is(err, ErrFormat) && !errors.Is(err, ErrEmpty) {
			t.Errorf("%s: error %v, want ErrFormat or ErrEmpty", c.name, err)
		}
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.png")); err == nil {
		t.Error("Load of a missing file returned no error")
	}
	for _, s := range [][2]int{{0, 1}, {1, 0}, {-3, 4}, {MaxSide + 1, 1}, {4097, 4097}} {
		if _, err := New(s[0], s[1]); err == nil {
			t.Errorf("New(%d, %d) returned no error", s[0], s[1])
		}
	}
	if _, err := New(4096, 4096); err != nil {
		t.Errorf("New(4096, 4096) at the cap: %v", err)
	}
	bad := &Image{Width: 2, Height: 1, Pix: []float64{0, 0, 0, math.NaN(), 0, 0}}
	if err := bad.Validate("src"); err == nil {
		t.Error("Validate accepted a NaN pixel")
	}
	if err := EncodePNG(&bytes.Buffer{}, &Image{Width: 2, Height: 2, Pix: make([]float64, 3)}); err == nil {
		t.Error("EncodePNG accepted a Pix of the wrong length")
	}
}
