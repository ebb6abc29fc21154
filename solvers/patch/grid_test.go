package patch

import (
	"errors"
	"math"
	"testing"

	"github.com/otplay/otplay/compute"
)

var gridCases = []struct{ h, w, c, k, s int }{
	{7, 9, 3, 3, 2}, {10, 10, 1, 4, 4}, {5, 5, 3, 5, 1}, {13, 17, 3, 8, 3},
	{40, 33, 3, 16, 5}, {1, 6, 2, 1, 1}, {9, 9, 3, 4, 3}, {24, 20, 3, 8, 4},
}

func randomImage(n int, seed uint64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = compute.UniformAt(seed, uint64(i))
	}
	return v
}

// unfoldFold runs Unfold then Fold of img through b.
func unfoldFold(t *testing.T, b compute.Backend, g *Grid, img []float64) (patches, back []float64) {
	t.Helper()
	f, err := NewFolder(b, g)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	a := &arena{b: b}
	defer a.free()
	ia, pa, oa := a.upload(img), a.alloc(g.Count()*g.Dim()), a.alloc(g.Len())
	if a.err != nil {
		t.Fatal(a.err)
	}
	if err := f.Unfold(pa, ia); err != nil {
		t.Fatal(err)
	}
	if err := f.Fold(oa, pa); err != nil {
		t.Fatal(err)
	}
	return a.read(pa), a.read(oa)
}

// Unfold copies the right pixels (checked against the definition in the
// Grid doc), every pixel is covered, and Fold(Unfold(img)) = img up to
// the rounding of a sum of at most 256 equal terms divided by their count.
func TestUnfoldFoldRoundTrip(t *testing.T) {
	b := compute.NewCPU(0)
	for _, c := range gridCases {
		g, err := NewGrid(c.h, c.w, c.c, c.k, c.s)
		if err != nil {
			t.Fatal(err)
		}
		img := randomImage(g.Len(), uint64(c.h*100+c.w))
		patches, back := unfoldFold(t, b, g, img)
		p := 0
		for _, oy := range g.OriginsY {
			for _, ox := range g.OriginsX {
				for dy := 0; dy < c.k; dy++ {
					for dx := 0; dx < c.k; dx++ {
						for ch := 0; ch < c.c; ch++ {
							want := img[((oy+dy)*c.w+ox+dx)*c.c+ch]
							if got := patches[p*g.Dim()+(dy*c.k+dx)*c.c+ch]; got != want {
								t.Fatalf("%+v: patch %d (%d,%d,%d) = %g, want %g", c, p, dy, dx, ch, got, want)
							}
						}
					}
				}
				p++
			}
		}
		if last := g.OriginsX[len(g.OriginsX)-1]; last+c.k != c.w {
			t.Errorf("%+v: last x origin %d does not reach the border", c, last)
		}
		var worst float64
		for i := range img {
			worst = max(worst, math.Abs(back[i]-img[i]))
		}
		if worst > 1e-15 {
			t.Errorf("%+v: Fold(Unfold(img)) differs from img by %g", c, worst)
		}
		_, k, cover := g.FoldIndex()
		for i, v := range cover {
			if v < 1 {
				t.Fatalf("%+v: image value %d covered %g times", c, i, v)
			}
		}
		if c.k == c.s && k != 1 && c.h%c.k == 0 && c.w%c.k == 0 {
			t.Errorf("%+v: non-overlapping patches give a cover of %d", c, k)
		}
	}
}

// Fold is the adjoint of Unfold divided by the cover:
// <Unfold x, p> = <x, cover * Fold p> for all x, p.
func TestFoldIsScaledAdjoint(t *testing.T) {
	b := compute.NewCPU(0)
	g, _ := NewGrid(13, 11, 3, 4, 3)
	x := randomImage(g.Len(), 1)
	p := randomImage(g.Count()*g.Dim(), 2)
	f, _ := NewFolder(b, g)
	defer f.Close()
	a := &arena{b: b}
	defer a.free()
	xa, pa, ux, fp := a.upload(x), a.upload(p), a.alloc(len(p)), a.alloc(len(x))
	a.do(f.Unfold(ux, xa))
	a.do(f.Fold(fp, pa))
	uxv, fpv := a.read(ux), a.read(fp)
	if a.err != nil {
		t.Fatal(a.err)
	}
	_, _, cover := g.FoldIndex()
	var lhs, rhs float64
	for i := range p {
		lhs += uxv[i] * p[i]
	}
	for i := range x {
		rhs += x[i] * cover[i] * fpv[i]
	}
	if math.Abs(lhs-rhs) > 1e-10*math.Abs(lhs) {
		t.Errorf("<Unfold x, p> = %.15g, <x, cover Fold p> = %.15g", lhs, rhs)
	}
}

func TestGridBadGeometry(t *testing.T) {
	bad := []struct{ h, w, c, k, s int }{
		{0, 5, 3, 1, 1}, {5, 0, 3, 1, 1}, {5, 5, 0, 1, 1}, {5, 5, 3, 0, 1}, {5, 5, 3, 17, 1},
		{5, 5, 3, 2, 0}, {5, 5, 3, 2, -1}, {9, 9, 3, 2, 3}, {4, 9, 3, 5, 1}, {9, 4, 3, 5, 1},
		{4096, 4096, 3, 16, 1}, // 16.7 M patches of 768 values: beyond the index limit
	}
	for _, c := range bad {
		if _, err := NewGrid(c.h, c.w, c.c, c.k, c.s); !errors.Is(err, ErrGeometry) {
			t.Errorf("NewGrid(%+v): error %v, want ErrGeometry", c, err)
		}
	}
	g, err := NewGrid(40, 40, 3, 16, 8) // the largest patch: 3 x 16 x 16
	if err != nil || g.Dim() != 768 || g.Count() != 16 {
		t.Errorf("3x16x16 patches on 40x40: grid %v (dim %d, count %d), err %v", g != nil, g.Dim(), g.Count(), err)
	}
	b := compute.NewCPU(0)
	f, _ := NewFolder(b, g)
	defer f.Close()
	short, _ := b.Alloc(5)
	if err := f.Unfold(short, short); !errors.Is(err, ErrGeometry) {
		t.Errorf("Unfold into a short array: %v", err)
	}
	if err := f.Fold(short, short); !errors.Is(err, ErrGeometry) {
		t.Errorf("Fold from a short array: %v", err)
	}
}

// A batch Folder unfolds each image of the batch exactly as a single
// Folder does, and folds the batch back to itself.
func TestBatchFolder(t *testing.T) {
	b := compute.NewCPU(0)
	g, _ := NewGrid(8, 8, 1, 3, 2)
	const n = 3
	imgs := randomImage(n*g.Len(), 4)
	f, err := NewBatchFolder(b, g, n)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	a := &arena{b: b}
	defer a.free()
	ia, pa, oa := a.upload(imgs), a.alloc(n*g.Count()*g.Dim()), a.alloc(n*g.Len())
	a.do(f.Unfold(pa, ia))
	a.do(f.Fold(oa, pa))
	patches, back := a.read(pa), a.read(oa)
	if a.err != nil {
		t.Fatal(a.err)
	}
	for i := 0; i < n; i++ {
		one, _ := unfoldFold(t, b, g, imgs[i*g.Len():(i+1)*g.Len()])
		for k, v := range one {
			if patches[i*len(one)+k] != v {
				t.Fatalf("image %d patch value %d: batch %g, single %g", i, k, patches[i*len(one)+k], v)
			}
		}
	}
	for i := range imgs {
		if math.Abs(back[i]-imgs[i]) > 1e-15 {
			t.Fatalf("batch round trip value %d: %g, want %g", i, back[i], imgs[i])
		}
	}
	if _, err := NewBatchFolder(b, g, 0); !errors.Is(err, ErrGeometry) {
		t.Errorf("batch of 0: %v", err)
	}
}
