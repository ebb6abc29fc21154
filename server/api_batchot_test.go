package server

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/otplay/otplay/batch"
)

// TestAPISampleBatchOT: the sample endpoint takes the --batch-ot target as
// an array part (the same samples as batch.Sample with that target) and
// refuses a target that names a file of the server.
func TestAPISampleBatchOT(t *testing.T) {
	srv := newAPIServer(t, NewAPI(APIConfig{}))
	pts, tgt := mustParse(t, "8gaussians:60:seed=4"), mustParse(t, "8gaussians:30:seed=9")
	res, arrays := readNPZ(t, postMultipart(t, context.Background(), srv.URL+APIPrefix+"sample?format=npz",
		`{"n": 30, "steps": 4, "backend": "cpu", "quality": false, "batch_ot": "sliced"}`,
		map[string][]byte{"data": npyBytes(t, pts.Points, pts.N, pts.D), "batch_ot_target": npyBytes(t, tgt.Points, tgt.N, tgt.D)}))
	req := batch.NewSampleRequest()
	req.DataSet, req.N, req.Steps, req.Backend, req.Quality = &pts, 30, 4, "cpu", false
	req.BatchOT, req.BatchOTTargetSet = "sliced", &tgt
	want, err := batch.Sample(req, batch.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res["batch_ot"] != "sliced" || len(arrays["points"]) != 60 || arrays["points"][13] != want.Points[13] {
		t.Errorf("sample with an array target: %v, points[13] %v; want batch_ot sliced and %v", res, arrays["points"][13], want.Points[13])
	}
	resp := postJSON(t, srv.URL+APIPrefix+"sample", `{"n": 30, "steps": 4, "backend": "cpu", "batch_ot": "sliced", "batch_ot_target": "/etc/target.npy"}`)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "reads no files on the server") {
		t.Errorf("a file target: status %d, body %s; want 400 and a refusal", resp.StatusCode, body)
	}
}
