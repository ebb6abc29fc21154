package ui

import (
	"strconv"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/otplay/otplay/play"
)

// otTierRow is the stats line of the tier solve.
func otTierRow(t *play.OTTierResult, g func(float64) string) app.UI {
	if t.Error != "" {
		return resultRow("kernel tier "+t.Tier, "failed: "+t.Error)
	}
	v := "cost " + g(t.Cost) + ", objective " + g(t.Objective) + ", marginal error " + g(t.MarginalError) +
		", " + strconv.Itoa(t.Iterations) + " iterations in " + FormatDuration(ms(t.TimeMS)) + " (" + t.Reason + ")"
	if t.Rank > 0 {
		v += "; rank " + strconv.Itoa(t.Rank) + ", kernel error " + g(t.ErrorEstimate)
	}
	return resultRow("kernel tier "+t.Tier+" (one solve)", v)
}
