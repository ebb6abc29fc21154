package imageio

import (
	"fmt"
	"math"
)

// Space names a colour space of an Image's values.
type Space string

// Colour spaces.
const (
	// RGB is gamma-encoded sRGB in [0, 1], the space images decode to.
	RGB Space = "rgb"
	// Lab is CIE 1976 L*a*b* under D65: L* in [0, 100], a* and b* roughly
	// in [-128, 128].
	Lab Space = "lab"
)

// ParseSpace returns the Space named s ("rgb" or "lab").
func ParseSpace(s string) (Space, error) {
	switch Space(s) {
	case RGB, Lab:
		return Space(s), nil
	}
	return "", fmt.Errorf("colour space %q: want rgb or lab", s)
}

// sRGB primaries to XYZ (IEC 61966-2-1:1999, D65), and its inverse.
var (
	rgbToXYZ = [3][3]float64{
		{0.4124564, 0.3575761, 0.1804375},
		{0.2126729, 0.7151522, 0.0721750},
		{0.0193339, 0.1191920, 0.9503041},
	}
	xyzToRGB = invert3(rgbToXYZ)
	// whiteXYZ is the XYZ of sRGB white (1, 1, 1): D65, (0.95047, 1.00000,
	// 1.08883) to five digits.
	whiteXYZ = [3]float64{
		rgbToXYZ[0][0] + rgbToXYZ[0][1] + rgbToXYZ[0][2],
		rgbToXYZ[1][0] + rgbToXYZ[1][1] + rgbToXYZ[1][2],
		rgbToXYZ[2][0] + rgbToXYZ[2][1] + rgbToXYZ[2][2],
	}
)

func invert3(m [3][3]float64) [3][3]float64 {
	det := m[0][0]*(m[1][1]*m[2][2]-m[1][2]*m[2][1]) -
		m[0][1]*(m[1][0]*m[2][2]-m[1][2]*m[2][0]) +
		m[0][2]*(m[1][0]*m[2][1]-m[1][1]*m[2][0])
	var r [3][3]float64
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			a, b := (j+1)%3, (j+2)%3
			c, d := (i+1)%3, (i+2)%3
			r[i][j] = (m[a][c]*m[b][d] - m[a][d]*m[b][c]) / det
		}
	}
	return r
}

// SRGBToLinear decodes one gamma-encoded sRGB channel (IEC 61966-2-1).
func SRGBToLinear(c float64) float64 {
	if c <= 0.04045 {
		return c / 12.92
	}
	return math.Pow((c+0.055)/1.055, 2.4)
}

// LinearToSRGB encodes one linear channel as sRGB (IEC 61966-2-1).
func LinearToSRGB(c float64) float64 {
	if c <= 0.0031308 {
		return 12.92 * c
	}
	return 1.055*math.Pow(c, 1/2.4) - 0.055
}

const labDelta = 6.0 / 29

func labF(t float64) float64 {
	if t > labDelta*labDelta*labDelta {
		return math.Cbrt(t)
	}
	return t/(3*labDelta*labDelta) + 4.0/29
}

func labFInv(t float64) float64 {
	if t > labDelta {
		return t * t * t
	}
	return 3 * labDelta * labDelta * (t - 4.0/29)
}

// RGBToLab converts an sRGB colour (components in [0, 1]) to CIE L*a*b*
// (D65), by CIE 15:2004 eq. 8.3-8.5 (see the package doc).
func RGBToLab(c [3]float64) [3]float64 {
	var lin, xyz [3]float64
	for k := range lin {
		lin[k] = SRGBToLinear(c[k])
	}
	for i := range xyz {
		xyz[i] = (rgbToXYZ[i][0]*lin[0] + rgbToXYZ[i][1]*lin[1] + rgbToXYZ[i][2]*lin[2]) / whiteXYZ[i]
	}
	fx, fy, fz := labF(xyz[0]), labF(xyz[1]), labF(xyz[2])
	return [3]float64{116*fy - 16, 500 * (fx - fy), 200 * (fy - fz)}
}

// LabToRGB converts CIE L*a*b* (D65) to sRGB, the inverse of RGBToLab.
// Colours outside the sRGB gamut come out outside [0, 1]; they are not
// clamped.
func LabToRGB(c [3]float64) [3]float64 {
	fy := (c[0] + 16) / 116
	fx := fy + c[1]/500
	fz := fy - c[2]/200
	xyz := [3]float64{labFInv(fx) * whiteXYZ[0], labFInv(fy) * whiteXYZ[1], labFInv(fz) * whiteXYZ[2]}
	var out [3]float64
	for i := range out {
		lin := xyzToRGB[i][0]*xyz[0] + xyzToRGB[i][1]*xyz[1] + xyzToRGB[i][2]*xyz[2]
		if lin < 0 { // keep the sign through the gamma curve (out of gamut)
			out[i] = -LinearToSRGB(-lin)
		} else {
			out[i] = LinearToSRGB(lin)
		}
	}
	return out
}

// Convert returns a copy of img with every pixel converted from the
// colour space from to the space to (RGB or Lab).
func (img *Image) Convert(from, to Space) (*Image, error) {
	if _, err := ParseSpace(string(from)); err != nil {
		return nil, err
	}
	if _, err := ParseSpace(string(to)); err != nil {
		return nil, err
	}
	out := img.Clone()
	if from == to {
		return out, nil
	}
	conv := RGBToLab
	if from == Lab {
		conv = LabToRGB
	}
	for p := 0; p+2 < len(out.Pix); p += 3 {
		c := conv([3]float64{out.Pix[p], out.Pix[p+1], out.Pix[p+2]})
		copy(out.Pix[p:p+3], c[:])
	}
	return out, nil
}
