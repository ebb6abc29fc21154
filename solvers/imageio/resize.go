package imageio

import (
	"fmt"
	"math"
)

// ShrinkToWidth returns img resized to width pixels wide, its height
// scaled to keep the aspect ratio (rounded, at least 1), with Resize's
// area-weighted average; an image no wider than width is returned as it
// is (never enlarged).
func ShrinkToWidth(img *Image, width int) (*Image, error) {
	if width >= img.Width {
		return img, nil
	}
	h := max(1, int(math.Round(float64(img.Height)*float64(width)/float64(img.Width))))
	return Resize(img, width, h)
}

// Resize returns img resampled to width x height with a separable
// triangle filter (see the package doc): bilinear interpolation when
// enlarging, an area-weighted average over every covered source pixel
// when shrinking. Sizes outside the cap return an error.
func Resize(img *Image, width, height int) (*Image, error) {
	if err := img.Validate("resize: source"); err != nil {
		return nil, err
	}
	dst, err := New(width, height)
	if err != nil {
		return nil, fmt.Errorf("resize: %w", err)
	}
	if width == img.Width && height == img.Height {
		copy(dst.Pix, img.Pix)
		return dst, nil
	}
	// Horizontal pass: img.Height rows of width pixels.
	wx := filterWeights(img.Width, width)
	tmp := make([]float64, Channels*width*img.Height)
	for y := 0; y < img.Height; y++ {
		row := img.Pix[y*img.Width*Channels:]
		out := tmp[y*width*Channels:]
		for x, w := range wx {
			var s [Channels]float64
			for t, c := range w.coef {
				p := (w.first + t) * Channels
				s[0] += c * row[p]
				s[1] += c * row[p+1]
				s[2] += c * row[p+2]
			}
			copy(out[x*Channels:x*Channels+Channels], s[:])
		}
	}
	// Vertical pass.
	wy := filterWeights(img.Height, height)
	stride := width * Channels
	for y, w := range wy {
		out := dst.Pix[y*stride : (y+1)*stride]
		for t, c := range w.coef {
			in := tmp[(w.first+t)*stride : (w.first+t+1)*stride]
			for k, v := range in {
				out[k] += c * v
			}
		}
	}
	return dst, nil
}

type filterTap struct {
	first int
	coef  []float64
}

// filterWeights returns, for each of the n output samples along an axis
// of in input samples, the normalised triangle-filter weights. Output
// sample o has its centre at input coordinate (o + 0.5) * in/n - 0.5; the
// triangle has half-width max(1, in/n).
func filterWeights(in, n int) []filterTap {
	scale := float64(in) / float64(n)
	support := max(1, scale)
	taps := make([]filterTap, n)
	for o := range taps {
		centre := (float64(o)+0.5)*scale - 0.5
		lo := max(0, int(math.Ceil(centre-support)))
		hi := min(in-1, int(math.Floor(centre+support)))
		coef := make([]float64, 0, hi-lo+1)
		var sum float64
		for i := lo; i <= hi; i++ {
			c := 1 - math.Abs(float64(i)-centre)/support
			if c < 0 {
				c = 0
			}
			coef = append(coef, c)
			sum += c
		}
		if sum == 0 { // a centre exactly between two taps at the border
			lo, coef, sum = min(max(0, int(math.Round(centre))), in-1), []float64{1}, 1
		}
		for i := range coef {
			coef[i] /= sum
		}
		taps[o] = filterTap{first: lo, coef: coef}
	}
	return taps
}
