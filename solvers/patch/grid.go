package patch

import (
	"errors"
	"fmt"

	"github.com/otplay/otplay/compute"
)

// MaxSize is the largest patch side: patches of up to 3 x 16 x 16 = 768
// values.
const MaxSize = 16

// ErrGeometry is wrapped by every error about patch size, stride and image
// size. Use errors.Is.
var ErrGeometry = errors.New("patch: bad patch geometry")

// Grid is the geometry of the overlapping k x k patches of a Height x
// Width x Channels image (HWC layout, as imageio.Image.Pix).
//
// Along each axis the patch origins are 0, Stride, 2 Stride, ... as long
// as the patch fits, plus one last patch flush with the far border when
// the stride does not land on it, so every pixel is covered by at least
// one patch (which makes Fold the exact inverse of Unfold). Patch p at
// origin (oy, ox) stores its values as
//
//	patches[p*Dim() + (dy*Size+dx)*Channels + c] = image[((oy+dy)*Width + ox+dx)*Channels + c]
//
// with patches numbered row by row of origins.
type Grid struct {
	Height, Width, Channels int
	Size, Stride            int
	OriginsY, OriginsX      []int // patch origins along each axis
}

// NewGrid returns the patch grid of size x size patches at the given
// stride over a height x width x channels image. It returns an error
// wrapping ErrGeometry when size < 1 or above MaxSize, stride < 1 or
// above size (pixels would be left uncovered), the patch is larger than
// the image, the image is empty, or the patches hold more than
// compute.MaxIndex values (the exact float32 index range of GatherSum).
func NewGrid(height, width, channels, size, stride int) (*Grid, error) {
	switch {
	case height < 1 || width < 1:
		return nil, fmt.Errorf("%w: image %d x %d is empty", ErrGeometry, width, height)
	case channels < 1:
		return nil, fmt.Errorf("%w: channels = %d must be >= 1", ErrGeometry, channels)
	case size < 1 || size > MaxSize:
		return nil, fmt.Errorf("%w: patch size %d outside [1, %d]", ErrGeometry, size, MaxSize)
	case stride < 1:
		return nil, fmt.Errorf("%w: stride %d must be >= 1", ErrGeometry, stride)
	case stride > size:
		return nil, fmt.Errorf("%w: stride %d larger than the patch size %d leaves pixels uncovered", ErrGeometry, stride, size)
	case size > height || size > width:
		return nil, fmt.Errorf("%w: patch size %d larger than the image (%d x %d)", ErrGeometry, size, width, height)
	}
	g := &Grid{Height: height, Width: width, Channels: channels, Size: size, Stride: stride,
		OriginsY: origins(height, size, stride), OriginsX: origins(width, size, stride)}
	if n := g.Count() * g.Dim(); n > compute.MaxIndex {
		return nil, fmt.Errorf("%w: %d patches of %d values = %d values exceeds the index limit %d (raise the stride or shrink the image)",
			ErrGeometry, g.Count(), g.Dim(), n, compute.MaxIndex)
	}
	if n := height * width * channels; n > compute.MaxIndex {
		return nil, fmt.Errorf("%w: image of %d values exceeds the index limit %d", ErrGeometry, n, compute.MaxIndex)
	}
	return g, nil
}

func origins(n, size, stride int) []int {
	var o []int
	for p := 0; p+size <= n; p += stride {
		o = append(o, p)
	}
	if last := o[len(o)-1]; last+size < n {
		o = append(o, n-size)
	}
	return o
}

// Count is the number of patches.
func (g *Grid) Count() int { return len(g.OriginsY) * len(g.OriginsX) }

// Dim is the number of values per patch, Size*Size*Channels.
func (g *Grid) Dim() int { return g.Size * g.Size * g.Channels }

// Len is the number of values of the image, Height*Width*Channels.
func (g *Grid) Len() int { return g.Height * g.Width * g.Channels }

// UnfoldIndex returns the gather indices of Unfold: entry p*Dim()+e is
// the image index that patch value e of patch p reads (see Grid).
func (g *Grid) UnfoldIndex() []float64 {
	idx := make([]float64, g.Count()*g.Dim())
	i, k, c := 0, g.Size, g.Channels
	for _, oy := range g.OriginsY {
		for _, ox := range g.OriginsX {
			for dy := 0; dy < k; dy++ {
				for dx := 0; dx < k; dx++ {
					base := ((oy+dy)*g.Width + ox + dx) * c
					for ch := 0; ch < c; ch++ {
						idx[i] = float64(base + ch)
						i++
					}
				}
			}
		}
	}
	return idx
}

// FoldIndex returns the indices of Fold: for every image value, the patch
// values that copy it, padded with -1 to the largest cover count k
// (idx has Len()*k entries), and cover, the number of patches covering
// each image value (>= 1 everywhere).
func (g *Grid) FoldIndex() (idx []float64, k int, cover []float64) {
	n := g.Len()
	cover = make([]float64, n)
	unfold := g.UnfoldIndex()
	for _, v := range unfold {
		cover[int(v)]++
	}
	for _, c := range cover {
		k = max(k, int(c))
	}
	idx = make([]float64, n*k)
	for i := range idx {
		idx[i] = -1
	}
	fill := make([]int, n)
	for j, v := range unfold {
		e := int(v)
		idx[e*k+fill[e]] = float64(j)
		fill[e]++
	}
	return idx, k, cover
}

// Folder unfolds images into patches and folds patches back on a
// Backend, with the index arrays uploaded once. A Folder handles a batch
// of Batch images of the Grid's shape stored one after the other (n x
// Len() values, e.g. the points of a diffusion sampler) and their patches
// likewise (Batch*Count() patches, image by image).
type Folder struct {
	Grid         *Grid
	Batch        int
	b            compute.Backend
	unfold, fold compute.Array
	cover        compute.Array
	foldK        int
	sum          compute.Array
}

// NewFolder uploads g's index arrays to b, for one image.
func NewFolder(b compute.Backend, g *Grid) (*Folder, error) { return NewBatchFolder(b, g, 1) }

// NewBatchFolder uploads g's index arrays to b, repeated for a batch of n
// images (n >= 1).
func NewBatchFolder(b compute.Backend, g *Grid, n int) (*Folder, error) {
	if n < 1 {
		return nil, fmt.Errorf("%w: batch of %d images", ErrGeometry, n)
	}
	if v := n * g.Count() * g.Dim(); v > compute.MaxIndex || n*g.Len() > compute.MaxIndex {
		return nil, fmt.Errorf("%w: a batch of %d images of %d patches of %d values exceeds the index limit %d", ErrGeometry, n, g.Count(), g.Dim(), compute.MaxIndex)
	}
	f := &Folder{Grid: g, Batch: n, b: b}
	un := g.UnfoldIndex()
	idx, k, cover := g.FoldIndex()
	if n > 1 {
		un, idx, cover = repeatIndex(un, n, g.Len()), repeatIndex(idx, n, len(un)), repeatIndex(cover, n, 0)
	}
	var err error
	if f.unfold, err = b.Upload(un); err != nil {
		return nil, err
	}
	f.foldK = k
	if f.fold, err = b.Upload(idx); err != nil {
		f.Close()
		return nil, err
	}
	if f.cover, err = b.Upload(cover); err != nil {
		f.Close()
		return nil, err
	}
	if f.sum, err = b.Alloc(n * g.Len()); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// repeatIndex returns n copies of idx, copy i offset by i*step (negative
// entries, the padding, stay -1).
func repeatIndex(idx []float64, n, step int) []float64 {
	out := make([]float64, 0, n*len(idx))
	for i := 0; i < n; i++ {
		for _, v := range idx {
			if v >= 0 {
				v += float64(i * step)
			}
			out = append(out, v)
		}
	}
	return out
}

// Unfold gathers the patches of img (Batch*Len() values, HWC) into dst
// (Batch*Count()*Dim() values): one GatherSum with k = 1 (an im2col).
func (f *Folder) Unfold(dst, img compute.Array) error {
	n, p := f.Batch*f.Grid.Len(), f.Batch*f.Grid.Count()*f.Grid.Dim()
	if img == nil || img.Len() != n {
		return fmt.Errorf("%w: unfold: image array has %d values, want %d", ErrGeometry, arrayLen(img), n)
	}
	if dst == nil || dst.Len() != p {
		return fmt.Errorf("%w: unfold: patch array has %d values, want %d", ErrGeometry, arrayLen(dst), p)
	}
	return f.b.GatherSum(dst, img, f.unfold, 1)
}

// Fold reassembles an image from patches by averaging, for every image
// value, the patch values that cover it:
//
//	dst[e] = sum_{t < k} patches[idx[e*k+t]] / cover[e]
//
// one GatherSum (k = the largest cover count, -1 padding) then one Map
// OpDiv. Fold(Unfold(img)) = img up to rounding.
func (f *Folder) Fold(dst, patches compute.Array) error {
	n, p := f.Batch*f.Grid.Len(), f.Batch*f.Grid.Count()*f.Grid.Dim()
	if patches == nil || patches.Len() != p {
		return fmt.Errorf("%w: fold: patch array has %d values, want %d", ErrGeometry, arrayLen(patches), p)
	}
	if dst == nil || dst.Len() != n {
		return fmt.Errorf("%w: fold: image array has %d values, want %d", ErrGeometry, arrayLen(dst), n)
	}
	if err := f.b.GatherSum(f.sum, patches, f.fold, f.foldK); err != nil {
		return err
	}
	return f.b.Map(dst, compute.MapArgs{Op: compute.OpDiv, X: f.sum, Y: f.cover, A: 1})
}

// Close frees the Folder's arrays.
func (f *Folder) Close() {
	for _, a := range []compute.Array{f.unfold, f.fold, f.cover, f.sum} {
		if a != nil {
			f.b.Free(a)
		}
	}
	f.unfold, f.fold, f.cover, f.sum = nil, nil, nil, nil
}

func arrayLen(a compute.Array) int {
	if a == nil {
		return 0
	}
	return a.Len()
}
