package ui

import (
	"encoding/csv"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/play"
	"github.com/otplay/otplay/solvers/ot"
)

func parseCSV(t *testing.T, text string) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	if err != nil {
		t.Fatalf("export is not CSV: %v\n%.300s", err, text)
	}
	return rows
}

func num(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return v
}

// exportFileByID returns the file of an export bar.
func exportFileByID(t *testing.T, files []exportFile, id string) exportFile {
	t.Helper()
	for _, f := range files {
		if f.ID == id {
			return f
		}
	}
	t.Fatalf("no export %s", id)
	return exportFile{}
}

// The /ot export of a converged small problem: the dense plan equals
// ot.Result.PlanDense of an independent native solve, its marginals are
// a and b, the points file carries the potentials F and G, and the JSON
// holds the same.
func TestOTExportDense(t *testing.T) {
	st, _ := OTSchema.DecodeQuery("x=gaussian&y=moons&n=12&m=9&eps=0.1&backend=cpu")
	p := newOTPage()
	p.state = st
	run := newOTRun(st)
	defer run.close()
	if _, err := exportFileByID(t, p.otExportFiles(), "export-json").Make(); err == nil {
		t.Error("export before the first frame: no error")
	}
	f := run.advance(1000)
	p.showing(st, f.OTFrame)
	if f.Error != "" || !f.Converged {
		t.Fatalf("frame: %+v", f)
	}
	prob, _ := OTProblem(st)
	ref, err := ot.Sinkhorn(compute.NewCPU(0), prob, OTSettings(st))
	if err != nil {
		t.Fatal(err)
	}
	// The file must hold the page's iterate exactly; that iterate agrees
	// with an independent native solve to the tolerance (1e-6 marginal).
	own := run.res
	want, err := own.PlanDense(compute.NewCPU(0))
	if err != nil {
		t.Fatal(err)
	}
	files := p.otExportFiles()

	text, err := exportFileByID(t, files, "export-plan-csv").Make()
	if err != nil {
		t.Fatal(err)
	}
	rows := parseCSV(t, text)
	if len(rows) != 1+12*9 || strings.Join(rows[0], ",") != "i,j,p" {
		t.Fatalf("plan CSV: %d rows, header %v", len(rows), rows[0])
	}
	rowSum, colSum := make([]float64, 12), make([]float64, 9)
	maxDiff := 0.0
	for _, r := range rows[1:] {
		i, j, v := int(num(t, r[0])), int(num(t, r[1])), num(t, r[2])
		rowSum[i] += v
		colSum[j] += v
		maxDiff = math.Max(maxDiff, math.Abs(v-want[i*9+j]))
	}
	if maxDiff > 1e-12 {
		t.Errorf("exported plan differs from the native solve's by %.3g", maxDiff)
	}
	for i, s := range rowSum {
		if math.Abs(s-1.0/12) > 1e-6 {
			t.Errorf("row %d of the exported plan sums to %.9g, want 1/12", i, s)
		}
	}
	for j, s := range colSum {
		if math.Abs(s-1.0/9) > 1e-6 {
			t.Errorf("column %d sums to %.9g, want 1/9", j, s)
		}
	}

	text, err = exportFileByID(t, files, "export-points-csv").Make()
	if err != nil {
		t.Fatal(err)
	}
	rows = parseCSV(t, text)
	if len(rows) != 1+12+9 || strings.Join(rows[0], ",") != "set,index,x,y,weight,potential" {
		t.Fatalf("points CSV: %d rows, header %v", len(rows), rows[0])
	}
	for _, r := range rows[1:] {
		i := int(num(t, r[1]))
		pts, pot, d := prob.X, own.F, 2
		if r[0] == "y" {
			pts, pot = prob.Y, own.G
		}
		if num(t, r[2]) != pts[i*d] || num(t, r[3]) != pts[i*d+1] {
			t.Errorf("point %s %d: (%s, %s), want (%g, %g)", r[0], i, r[2], r[3], pts[i*d], pts[i*d+1])
		}
		if num(t, r[5]) != pot[i] {
			t.Errorf("potential %s %d: %s, the page's %g", r[0], i, r[5], pot[i])
		}
	}

	text, err = exportFileByID(t, files, "export-json").Make()
	if err != nil {
		t.Fatal(err)
	}
	var e OTExport
	if err := json.Unmarshal([]byte(text), &e); err != nil {
		t.Fatal(err)
	}
	if e.Plan.Format != "dense" || len(e.Plan.P) != 108 || len(e.X) != 12 || len(e.G) != 9 || !e.Converged ||
		math.Abs(e.Cost-ref.Cost) > 1e-5*ref.Cost || e.Query != st.Encode() {
		t.Errorf("JSON export: format %s, %d entries, %d x, %d g, converged %v, cost %g (native %g), query %q",
			e.Plan.Format, len(e.Plan.P), len(e.X), len(e.G), e.Converged, e.Cost, ref.Cost, e.Query)
	}
}

// Beyond play.OTDenseExport pairs the plan file holds the play.OTExportTopK largest
// entries of every row, in decreasing order, and they are the largest of
// the dense plan.
func TestOTExportTopK(t *testing.T) {
	st, _ := OTSchema.DecodeQuery("x=gaussian&y=moons&n=250&m=170&eps=0.5&backend=cpu")
	run := newOTRun(st)
	defer run.close()
	f := run.advance(5)
	if f.Error != "" {
		t.Fatal(f.Error)
	}
	p := newOTPage().showing(st, f.OTFrame)
	text, err := exportFileByID(t, p.otExportFiles(), "export-json").Make()
	if err != nil {
		t.Fatal(err)
	}
	var e OTExport
	if err := json.Unmarshal([]byte(text), &e); err != nil {
		t.Fatal(err)
	}
	if e.Plan.Format != "topk" || e.Plan.K != play.OTExportTopK || len(e.Plan.P) != 250*play.OTExportTopK {
		t.Fatalf("plan export: format %s k %d, %d entries", e.Plan.Format, e.Plan.K, len(e.Plan.P))
	}
	dense, err := run.res.PlanDense(compute.NewCPU(0))
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 77, 249} {
		row := append([]float64(nil), dense[i*170:(i+1)*170]...)
		// the k-th largest of the row
		for t0 := 0; t0 < play.OTExportTopK; t0++ {
			best := 0
			for j := range row {
				if row[j] > row[best] {
					best = j
				}
			}
			got := e.Plan.P[i*play.OTExportTopK+t0]
			if e.Plan.I[i*play.OTExportTopK+t0] != i || math.Abs(got-row[best]) > 1e-12*row[best] {
				t.Errorf("row %d, rank %d: exported %g, dense plan's %g", i, t0, got, row[best])
			}
			row[best] = -1
		}
	}
}

// The /sliced export: the projections are the dot products of the points
// with the shown direction, the plan's masses sum to 1 and its cost
// sum mass (u_i - v_j)^2 is the shown W_2^2; the JSON carries SW_2 and
// every direction.
func TestSlicedExport(t *testing.T) {
	st, _ := SlicedSchema.DecodeQuery("n=40&m=30&L=20&seed=2&backend=cpu")
	p := newSlicedPage()
	p.state = st
	if _, err := exportFileByID(t, p.slicedExportFiles(), "export-plan-csv").Make(); err == nil {
		t.Error("export before the run: no error")
	}
	run := RunSliced(st)
	if run.out.Error != "" {
		t.Fatal(run.out.Error)
	}
	if err := run.show(3); err != nil {
		t.Fatal(err)
	}
	p.setUpdate(play.Update[play.SlicedFrame]{Frame: run.out.SlicedFrame, HasFrame: true})
	files := p.slicedExportFiles()
	text, err := exportFileByID(t, files, "export-json").Make()
	if err != nil {
		t.Fatal(err)
	}
	var e SlicedExport
	if err := json.Unmarshal([]byte(text), &e); err != nil {
		t.Fatal(err)
	}
	if e.SW != run.res.SW || e.L != 20 || len(e.Directions) != 20 || len(e.Running) != 20 || e.Shown.Index != 3 || len(e.X) != 40 {
		t.Fatalf("JSON export: SW %g (page %g), L %d, %d directions, shown %d, %d x", e.SW, run.res.SW, e.L, len(e.Directions), e.Shown.Index, len(e.X))
	}
	th := e.Directions[3]

	text, err = exportFileByID(t, files, "export-points-csv").Make()
	if err != nil {
		t.Fatal(err)
	}
	rows := parseCSV(t, text)
	if len(rows) != 1+40+30 {
		t.Fatalf("points CSV has %d rows", len(rows))
	}
	proj := map[string][]float64{"x": make([]float64, 40), "y": make([]float64, 30)}
	for _, r := range rows[1:] {
		x, y, pr := num(t, r[2]), num(t, r[3]), num(t, r[4])
		if d := math.Abs(x*th[0] + y*th[1] - pr); d > 1e-12 {
			t.Errorf("%s %s: projection %g, <p, theta> = %g", r[0], r[1], pr, x*th[0]+y*th[1])
		}
		proj[r[0]][int(num(t, r[1]))] = pr
	}

	text, err = exportFileByID(t, files, "export-plan-csv").Make()
	if err != nil {
		t.Fatal(err)
	}
	rows = parseCSV(t, text)
	mass, cost := 0.0, 0.0
	for _, r := range rows[1:] {
		i, j, m := int(num(t, r[0])), int(num(t, r[1])), num(t, r[2])
		mass += m
		cost += m * (proj["x"][i] - proj["y"][j]) * (proj["x"][i] - proj["y"][j])
	}
	if math.Abs(mass-1) > 1e-12 || math.Abs(cost-e.Shown.W2Sq) > 1e-12*(1+e.Shown.W2Sq) || math.Abs(e.Shown.W2Sq-e.PerDirection[3]) > 1e-5*e.Shown.W2Sq {
		t.Errorf("plan of direction 3: mass %.15g, cost %.15g, W2^2 %.15g (device's %.9g)", mass, cost, e.Shown.W2Sq, e.PerDirection[3])
	}
}
