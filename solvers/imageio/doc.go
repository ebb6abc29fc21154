// Package imageio reads, writes, resizes and converts the images that
// otplay's patch and colour-transfer solvers work on. It is pure Go and
// behaves the same natively and in the browser (GOOS=js).
//
// # Images
//
// An Image is Width x Height pixels of three channels stored interleaved,
// row-major, as float64: pixel (x, y) channel c is Pix[(y*Width+x)*3+c].
// Decoded images hold sRGB values in [0, 1] (8-bit value / 255, 16-bit
// value / 65535); the alpha channel, if any, is discarded after
// un-premultiplying, and grey images are expanded to three equal channels.
// This is the height x width x channels (HWC) layout that patch.Grid
// indexes, so an Image's Pix uploads to a compute.Backend as it is.
//
// # Files
//
// Decode and Load accept PNG and JPEG (sniffed from the content, not the
// file name); any other content is an error wrapping ErrFormat. Before a
// single pixel is decoded the header is checked against the size cap:
// width and height at most MaxSide (16384) and at most MaxPixels
// (16,777,216 = 16 Mpixel, a 4096 x 4096 image) pixels in all, so a
// forged header cannot make the decoder allocate gigabytes. Images with
// no pixels wrap ErrEmpty, images over the cap wrap ErrTooLarge.
// EncodePNG and Save write 8-bit PNG (Save writes JPEG at quality 95 for
// .jpg/.jpeg names), rounding and clamping to [0, 255].
//
// # Resizing
//
// Resize resamples with a separable triangle (bilinear) filter whose
// support is stretched by the reduction factor when shrinking, so
// down-sampling averages every source pixel (area-correct, no aliasing)
// and up-sampling is bilinear interpolation; it is the BILINEAR filter of
// Pillow's Image.resize (pixel centres at half-integers).
//
// # Colour spaces
//
// RGBToLab and LabToRGB convert between sRGB (IEC 61966-2-1:1999, the
// piecewise gamma with 12.92 below 0.0031308 linear) and CIE 1976 L*a*b*
// under the D65 white point, through CIE XYZ with the sRGB primaries
// matrix. The Lab formulas are those of CIE 15:2004, section 8.2.1:
//
//	L* = 116 f(Y/Yn) - 16
//	a* = 500 (f(X/Xn) - f(Y/Yn))
//	b* = 200 (f(Y/Yn) - f(Z/Zn))
//	f(t) = t^(1/3) if t > (6/29)^3, else t / (3 (6/29)^2) + 4/29
//
// with (Xn, Yn, Zn) the XYZ of sRGB white, (0.95047, 1.00000, 1.08883) to
// five digits, so white maps to (100, 0, 0) exactly. Image.Convert applies
// either conversion to every pixel.
package imageio
