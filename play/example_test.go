package play_test

import (
	"fmt"
	"time"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/play"
)

// A page model run the way every view runs it: decode the URL state,
// parse the typed state, Reset a Runner with its Start, Play until the
// frame is finished. Natively, with the float64 CPU backend.
func Example() {
	st, err := play.OTSchema.DecodeQuery("n=40&m=30&eps=0.5&steps=10&backend=cpu")
	if err != nil {
		panic(err)
	}
	model, err := play.ParseOT(st)
	if err != nil {
		panic(err)
	}
	done := make(chan play.Update[play.OTFrame], 1)
	r := &play.Runner[play.OTFrame]{
		Open:          func() (compute.Backend, error) { return compute.NewCPU(1), nil },
		StepsPerFrame: model.Steps,
		Show: func(u play.Update[play.OTFrame]) {
			if u.Err != nil || (u.HasFrame && u.Frame.Finished() && !u.Playing) {
				select {
				case done <- u:
				default:
				}
			}
		},
	}
	defer r.Close()
	r.Reset(model.Start)
	for r.Busy() {
		time.Sleep(time.Millisecond)
	}
	r.Play()
	u := <-done
	fmt.Println("error:", u.Err)
	fmt.Println("converged:", u.Frame.Converged)
	fmt.Println("iterations a multiple of 10:", u.Frame.Iteration%10 == 0)
	fmt.Printf("marginal error below 1e-6: %v\n", u.Frame.MarginalError < 1e-6)
	// Output:
	// error: <nil>
	// converged: true
	// iterations a multiple of 10: true
	// marginal error below 1e-6: true
}
