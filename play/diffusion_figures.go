package play

import "github.com/otplay/otplay/figure"

// TrailSegments joins each particle's consecutive positions in trails
// (oldest first, each n x 2) by segments, fading in from the oldest.
func TrailSegments(trails [][]float64) figure.LineSet {
	var segs, alpha []float64
	for k := 1; k < len(trails); k++ {
		a, b := trails[k-1], trails[k]
		op := 0.6 * float64(k) / float64(len(trails)-1)
		for i := 0; i+1 < len(b) && i+1 < len(a); i += 2 {
			segs = append(segs, a[i], a[i+1], b[i], b[i+1])
			alpha = append(alpha, op)
		}
	}
	return figure.LineSet{Segs: segs, Alpha: alpha, Color: "#7f7f7f", Width: 1}
}

// FieldArrows is the arrow layer of a field (Field's points and vectors)
// on the particle views.
func FieldArrows(pts, vec []float64) figure.LineSet {
	return figure.LineSet{Segs: ArrowSegments(pts, vec, 0.9*2*ParticleWindow/FieldGrid), Opacity: 0.8, Color: "#2ca02c", Width: 1.2}
}

// DiffusionViewFigure draws the data (grey), the field arrows (green),
// the trails, the particles (blue) and the denoised estimate (orange) in
// the fixed window [-3.2, 3.2]^2.
func DiffusionViewFigure(dataXY, x, den []float64, trails [][]float64, pts, vec []float64, title string) figure.Figure {
	w := ParticleWindow
	f := figure.Figure{Width: 520, Height: 520, Title: title, EqualAspect: true, XMin: -w, XMax: w, YMin: -w, YMax: w}
	if len(vec) > 0 {
		f.Lines = append(f.Lines, FieldArrows(pts, vec))
	}
	if len(trails) > 1 {
		f.Lines = append(f.Lines, TrailSegments(trails))
	}
	f.Points = []figure.PointSet{{XY: FirstTwo(dataXY, 2, FigureMaxPoints), Color: "#c7c7c7", Radius: 1.5, Label: "data"}}
	if len(x) > 0 {
		f.Points = append(f.Points, figure.PointSet{XY: x, Color: "#1f77b4", Radius: 1.8, Label: "particles x_t"})
	}
	if len(den) > 0 {
		f.Points = append(f.Points, figure.PointSet{XY: FirstTwo(den, 2, FigureMaxPoints), Color: "#ff7f0e", Radius: 1.3, Label: "denoised D(x_t)"})
	}
	return f
}

// DiffusionQualityFigure is the MMD of the denoised estimate against NFE.
func DiffusionQualityFigure(q []float64, nfe []int) figure.Figure {
	xy := make([]float64, 0, 2*len(q))
	for i, v := range q {
		xy = append(xy, float64(nfe[i]), v)
	}
	// Linear y: the MMD reaches 0 (the estimator's max(MMD², 0)) once the
	// sample is within the noise floor, which a log scale would drop.
	return figure.Figure{Width: 520, Height: 220, Title: "MMD(denoised estimate, data) against NFE", XLabel: "NFE", YLabel: "MMD",
		Curves: []figure.Curve{{XY: xy, Color: "#9467bd", Label: "MMD"}}}
}

// DiffusionLossFigure is the MLP's training loss against the step.
func DiffusionLossFigure(loss []float64, at []int) figure.Figure {
	xy := make([]float64, 0, 2*len(loss))
	for i, v := range loss {
		xy = append(xy, float64(at[i]), v)
	}
	return figure.Figure{Width: 520, Height: 220, Title: "training loss |ε_θ - ε|² per step (log scale)", LogY: true, XLabel: "Adam step", YLabel: "loss",
		Curves: []figure.Curve{{XY: xy, Color: "#d62728", Label: "loss"}}}
}
