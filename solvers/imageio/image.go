package imageio

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
)

// Size cap on decoded and created images (see the package doc).
const (
	// MaxSide is the largest width or height accepted.
	MaxSide = 16384
	// MaxPixels is the largest Width*Height accepted: 16 Mpixel.
	MaxPixels = 1 << 24
	// maxFileBytes bounds how much of a file Decode reads (256 MiB).
	maxFileBytes = 256 << 20
)

// Errors returned (wrapped) by this package. Use errors.Is.
var (
	ErrFormat   = errors.New("imageio: unsupported or corrupt image (want PNG or JPEG)")
	ErrEmpty    = errors.New("imageio: image has no pixels")
	ErrTooLarge = fmt.Errorf("imageio: image exceeds the size cap of %d x %d pixels per side and %d pixels in all", MaxSide, MaxSide, MaxPixels)
)

// Image is an RGB image stored as interleaved float64 (see the package doc).
type Image struct {
	Width, Height int
	Pix           []float64 // len 3*Width*Height; pixel (x, y) channel c at (y*Width+x)*3+c
}

// Channels is the number of channels of every Image.
const Channels = 3

// New returns a black image of the given size. It returns an error
// wrapping ErrEmpty or ErrTooLarge for sizes outside [1, MaxSide] or
// beyond MaxPixels.
func New(width, height int) (*Image, error) {
	if err := checkSize(width, height); err != nil {
		return nil, err
	}
	return &Image{Width: width, Height: height, Pix: make([]float64, Channels*width*height)}, nil
}

func checkSize(w, h int) error {
	switch {
	case w <= 0 || h <= 0:
		return fmt.Errorf("%w: size %d x %d", ErrEmpty, w, h)
	case w > MaxSide || h > MaxSide || int64(w)*int64(h) > MaxPixels:
		return fmt.Errorf("%w: size %d x %d", ErrTooLarge, w, h)
	}
	return nil
}

// Validate checks that img has a valid size, a Pix of the matching length
// and only finite values; name is used in the error.
func (img *Image) Validate(name string) error {
	if img == nil {
		return fmt.Errorf("%s: %w: nil image", name, ErrEmpty)
	}
	if err := checkSize(img.Width, img.Height); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if len(img.Pix) != Channels*img.Width*img.Height {
		return fmt.Errorf("%s: Pix has %d values, want 3*%d*%d", name, len(img.Pix), img.Width, img.Height)
	}
	for i, v := range img.Pix {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%s: Pix[%d] = %v is not finite", name, i, v)
		}
	}
	return nil
}

// Clone returns a deep copy of img.
func (img *Image) Clone() *Image {
	return &Image{Width: img.Width, Height: img.Height, Pix: append([]float64(nil), img.Pix...)}
}

// At returns the three channels of pixel (x, y).
func (img *Image) At(x, y int) [3]float64 {
	i := (y*img.Width + x) * Channels
	return [3]float64{img.Pix[i], img.Pix[i+1], img.Pix[i+2]}
}

// Decode reads a PNG or JPEG image from r, checking the header against
// the size cap before decoding the pixels. It returns the image and the
// format name ("png" or "jpeg").
func Decode(r io.Reader) (*Image, string, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxFileBytes+1))
	if err != nil {
		return nil, "", fmt.Errorf("imageio: reading: %w", err)
	}
	if len(data) > maxFileBytes {
		return nil, "", fmt.Errorf("%w: file larger than %d bytes", ErrTooLarge, maxFileBytes)
	}
	if len(data) == 0 {
		return nil, "", fmt.Errorf("%w: empty file", ErrFormat)
	}
	var decodeConfig func(io.Reader) (image.Config, error)
	var decode func(io.Reader) (image.Image, error)
	var format string
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		format, decodeConfig, decode = "png", png.DecodeConfig, png.Decode
	case bytes.HasPrefix(data, []byte("\xff\xd8")):
		format, decodeConfig, decode = "jpeg", jpeg.DecodeConfig, jpeg.Decode
	default:
		return nil, "", fmt.Errorf("%w: unrecognised header % x", ErrFormat, data[:min(len(data), 8)])
	}
	cfg, err := decodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, format, fmt.Errorf("%w: %s header: %v", ErrFormat, format, err)
	}
	if err := checkSize(cfg.Width, cfg.Height); err != nil {
		return nil, format, err
	}
	m, err := decode(bytes.NewReader(data))
	if err != nil {
		return nil, format, fmt.Errorf("%w: %s data: %v", ErrFormat, format, err)
	}
	img, err := FromImage(m)
	return img, format, err
}

// Load reads the PNG or JPEG file at path (see Decode); errors name the path.
func Load(path string) (*Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, _, err := Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return img, nil
}

// FromImage converts any image.Image to an Image (see the package doc for
// the value conventions).
func FromImage(m image.Image) (*Image, error) {
	r := m.Bounds()
	img, err := New(r.Dx(), r.Dy())
	if err != nil {
		return nil, err
	}
	const s8, s16 = 1.0 / 255, 1.0 / 65535
	i := 0
	switch src := m.(type) {
	case *image.YCbCr:
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				c := src.YCbCrAt(x, y)
				cr, cg, cb := color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
				img.Pix[i], img.Pix[i+1], img.Pix[i+2] = float64(cr)*s8, float64(cg)*s8, float64(cb)*s8
				i += 3
			}
		}
	case *image.Gray:
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				v := float64(src.GrayAt(x, y).Y) * s8
				img.Pix[i], img.Pix[i+1], img.Pix[i+2] = v, v, v
				i += 3
			}
		}
	default:
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				c := color.NRGBA64Model.Convert(m.At(x, y)).(color.NRGBA64)
				img.Pix[i], img.Pix[i+1], img.Pix[i+2] = float64(c.R)*s16, float64(c.G)*s16, float64(c.B)*s16
				i += 3
			}
		}
	}
	return img, nil
}

// to8 rounds v in [0, 1] to an 8-bit value, clamping outside values.
func to8(v float64) uint8 {
	v = math.Round(v * 255)
	switch {
	case !(v > 0): // also NaN
		return 0
	case v > 255:
		return 255
	}
	return uint8(v)
}

// ToNRGBA converts img to an opaque 8-bit image, rounding and clamping.
func (img *Image) ToNRGBA() *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, img.Width, img.Height))
	for p := 0; p < img.Width*img.Height; p++ {
		m.Pix[4*p] = to8(img.Pix[3*p])
		m.Pix[4*p+1] = to8(img.Pix[3*p+1])
		m.Pix[4*p+2] = to8(img.Pix[3*p+2])
		m.Pix[4*p+3] = 255
	}
	return m
}

// EncodePNG writes img as an 8-bit PNG.
func EncodePNG(w io.Writer, img *Image) error {
	if err := img.Validate("image"); err != nil {
		return err
	}
	return png.Encode(w, img.ToNRGBA())
}

// Save writes img to path: JPEG (quality 95) for names ending in .jpg or
// .jpeg, PNG otherwise.
func Save(path string, img *Image) error {
	if err := img.Validate("image"); err != nil {
		return err
	}
	var buf bytes.Buffer
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jpg", ".jpeg":
		if err := jpeg.Encode(&buf, img.ToNRGBA(), &jpeg.Options{Quality: 95}); err != nil {
			return err
		}
	default:
		if err := png.Encode(&buf, img.ToNRGBA()); err != nil {
			return err
		}
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}
