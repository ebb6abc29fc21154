// Package play holds the playground's page models without any view: each
// page's typed state (parsed once from the URL, validated, encoded back),
// its run on a compute.Backend (step, play, reset), and its frames and
// figures as data (package figure). It imports solvers, compute and
// figure, never go-app, ui or gpu, and builds for GOOS=js as well as
// natively, so the browser pages (package ui), the server, the notebook
// API and the native tests all run the same models.
//
// # URL state
//
// A page's parameters live in its URL, so that every view is a link. A
// Schema lists them (KindInt, KindFloat, KindChoice, with bounds and a
// canonical default); Schema.Decode turns query values into a State,
// keeping defaults where a value is bad and returning an error that names
// each bad parameter; State.Encode writes the canonical query (sorted,
// defaults left out); State.With and Schema.Make build states with
// validation; Schema.Validate also flags unknown keys (for scripted
// embedders). Param's presentation fields (Label, Group, Slider, Math,
// ShownWhen, ...) tell the view how to draw the control; they do not
// change what the URL accepts.
//
// # Pages
//
// A Page describes a page: route, title, gallery summary, Schema and 3-5
// Tours (named URL states with a two-sentence caption). A model registers
// its Page from init with Register; the ui package pairs it with a view
// (ui.RegisterView). Pages and Lookup read the registry.
//
// # The page-model contract
//
// A page model is four things in this package, named after the page:
//
//  1. Its Schema and Page, registered from init.
//  2. Its typed state: a struct with one field per parameter, made by a
//     Parse function from a decoded State (every value read once, here,
//     and checked across fields) and encoded back by a State method
//     (Schema.Make). Consumers read fields, never st.Float("eps").
//  3. Its run: a Start function (usually a method of the typed state)
//     that opens the run on a backend, reporting a long setup through
//     Progress, and returns a Run whose Step(ctx, k, playing) advances k
//     steps and returns a Frame; Close frees device memory.
//  4. Its Frame: a struct of numbers (with JSON tags: the browser
//     publishes it to scripts) and figure.Figure values, with Finished
//     saying when Play should stop.
//
// A Runner drives any model the same way: Reset(start), Step, Play,
// Pause, Close, the Updates it shows (latest frame, progress, error,
// playing, backend), compute serialised by ComputeLock, cancellation of a
// replaced run through its context, and one restart on the backend that
// replaces a lost GPU device (compute.ErrDeviceLost). The ui's page
// skeleton owns a Runner; native tests run models with one or call Start
// and Step directly.
//
// Show is called with the Runner's lock held: it must not block or call
// the Runner (a go-app view hands the Update to ctx.Dispatch). The
// package example runs /ot's model with a Runner to convergence.
//
// The models here: /ot (OT, OTFrame: Sinkhorn stepped, with its plan
// views, tier solve and divergence), /sliced (Sliced: SW_2 and its
// directions), /patch (Patch: colour and patch transfer), /bridge
// (Bridge: the Schrödinger bridge SDE stepped), /check's computation
// (SoftMinCheck), /diffusion (Diffusion), /truncate (Truncate) and
// /validate (Validate).
//
// # The particle pages and /validate
//
// Diffusion (/diffusion) and Truncate (/truncate) share a ModelSpec: the
// data (a data set, or the reader's upload), the schedule and the
// denoiser ("empirical", "gmm" fitted by diffusion.FitTiedGMM, or "mlp"
// trained by diffusion.Train and cached), built by ModelSpec.Build. On
// labelled data (LabelledSets) /diffusion samples one class with
// classifier-free guidance (diffusion.Guided of the class's exact model,
// or of the class-conditional network's class, and the unconditional
// model, weight W) and reports the fidelity-diversity trade-off at the
// end of a run (ClassReadout: class accuracy and spread). Their
// Start reports the setup's phases through Progress (Adam steps, the
// prior fit's Sinkhorn iterations or Adam steps, the quality ladder's
// rungs); their Step advances the real sampler, which runs in its own
// goroutine and waits between steps (samplerStepper). Validate runs the
// conformance suite in Start, reporting check k of N as it goes. Yield,
// set in the browser, lets the page repaint after each progress report.
//
// A minimal model (a page that counts; see ot.go for a real one):
//
//	var CountSchema = Schema{
//		{Name: "to", Label: "Count to", Kind: KindInt, Default: "10", Min: 1, Max: 1000},
//		ComputeParam,
//	}
//
//	func init() {
//		Register(Page{Path: "/count", Title: "Count", Schema: CountSchema, Tours: []Tour{
//			{Name: "Count to three", Query: "to=3", Caption: "Three steps. Then it stops."},
//			// ... 3 to 5 tours in all
//		}})
//	}
//
//	type Count struct {
//		To      int
//		Backend string
//	}
//
//	func ParseCount(st State) (Count, error) {
//		return Count{To: st.Int("to"), Backend: st.String("backend")}, nil
//	}
//
//	func (c Count) State() (State, error) {
//		return CountSchema.Make(map[string]string{"to": strconv.Itoa(c.To), "backend": c.Backend})
//	}
//
//	type CountFrame struct {
//		Step int `json:"step"`
//		To   int `json:"to"`
//	}
//
//	func (f CountFrame) Finished() bool { return f.Step >= f.To }
//
//	type countRun struct{ c Count; step int }
//
//	func (c Count) Start(ctx context.Context, b compute.Backend, progress func(Progress)) (Run[CountFrame], error) {
//		return &countRun{c: c}, nil
//	}
//
//	func (r *countRun) Step(ctx context.Context, k int, playing bool) (CountFrame, error) {
//		r.step = min(r.step+k, r.c.To)
//		return CountFrame{Step: r.step, To: r.c.To}, nil
//	}
//
//	func (r *countRun) Close() {}
//
// and its view in ui, over the shared skeleton (ui/skeleton.go):
//
//	type CountPage struct {
//		app.Compo
//		pageSkeleton[play.CountFrame]
//	}
//
//	func newCountPage() *CountPage {
//		p := &CountPage{}
//		p.pageSkeleton = pageSkeleton[play.CountFrame]{
//			Path: "/count", Title: "Count · otplay", Schema: play.CountSchema,
//			Start: func(st State) (play.Start[play.CountFrame], error) {
//				c, err := play.ParseCount(st)
//				return c.Start, err
//			},
//			Publish: func(r PageResult, f play.CountFrame) any { return struct{ PageResult; play.CountFrame }{r, f} },
//		}
//		return p
//	}
//
//	func init() { RegisterView("/count", func() app.Composer { return newCountPage() }) }
//
//	func (p *CountPage) Render() app.UI {
//		l := p.layout("Counting", nil)
//		// ... the frame's numbers and figures: p.frame()
//		return l.Render(p.controls(), ...)
//	}
package play
