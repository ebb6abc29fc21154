package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/otplay/otplay/internal/safefile"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/diffusion"
	"github.com/otplay/otplay/solvers/nn"
)

func init() {
	register(command{name: "train", summary: "train a small diffusion MLP by denoising score matching", run: runTrain})
}

const trainSynopsis = `train --out MODEL.json [--data 8gaussians:2000] [--steps 4000] [--batch 256] [--hidden 64,64,64] [--activation silu] [--lr 2e-3] [--schedule linear] [--seed 0] [--conditional [--label-dropout 0.1]] [--ot-pairing] [--backend auto] [--json]

Trains a time-conditioned MLP (sinusoidal time embedding, SiLU or ReLU
hidden layers) to predict the noise of x_t = alpha_t x_0 + sigma_t eps, the
"simple" denoising score matching loss of Ho et al. 2020, with Adam and a
cosine learning-rate decay to lr/10, on the chosen backend (--ema saves a
moving average of the weights instead of the last iterate). The defaults
take about a minute on a 2-core CPU for a 2-D toy. The model file (JSON,
versioned) records the schedule; use it with
  otplay sample --model mlp:MODEL.json --data <the same data>

--conditional trains a class-conditional model on labelled data
(8gaussians, 25gaussians, moons, circles, spirals, digits): a one-hot
class after the time embedding, replaced by the null class (all zeros)
with probability --label-dropout (Ho and Salimans 2022, Alg. 1), so one
network is both the class's model and the unconditional one. Sample it
with otplay sample --class K --guidance W.

--ot-pairing pairs each batch's noise with its data by the exact minibatch
OT assignment (Pooladian et al. 2023, Tong et al. 2023): the learned
flow transports noise to data along straighter paths, for the
deterministic samplers only (ddim with eta 0, dpmpp*, heun without churn,
ode-adaptive); see solvers/diffusion/otpair.go and RESULTS.md.`

// trainReport is the --json output of otplay train.
type trainReport struct {
	Out       string    `json:"out"`
	Data      string    `json:"data"`
	N         int       `json:"n"`
	D         int       `json:"d"`
	Steps     int       `json:"steps"`
	Batch     int       `json:"batch"`
	Hidden    []int     `json:"hidden"`
	Params    int       `json:"params"`
	Schedule  string    `json:"schedule"`
	Classes   int       `json:"classes,omitempty"`
	Coupling  string    `json:"coupling,omitempty"`
	Losses    []float64 `json:"losses"`
	LossSteps []int     `json:"loss_steps"`
	TimeMS    float64   `json:"time_ms"`
	Backend   string    `json:"backend"`
}

func runTrain(args []string, stdout, stderr io.Writer) int {
	fs := newCommandFlags("train", trainSynopsis, stdout, stderr)
	dataSpec := fs.String("data", "8gaussians:2000", "data spec (name[:n][:key=value...] or a .csv/.npy file)")
	out := fs.String("out", "", "model file to write (required)")
	steps := fs.Int("steps", diffusion.DefaultTrainSteps, "Adam steps")
	batch := fs.Int("batch", diffusion.DefaultBatch, "points per step")
	hidden := fs.String("hidden", "64,64,64", "hidden layer widths, comma-separated")
	activation := fs.String("activation", "silu", "silu or relu")
	lr := fs.Float64("lr", diffusion.DefaultLR, "peak learning rate")
	scheduleName := fs.String("schedule", "linear", "noise schedule: "+strings.Join(diffusion.ScheduleNames, ", "))
	seed := fs.Uint64("seed", 0, "seed of the initial weights, batches, times and noise")
	logEvery := fs.Int("log-every", 500, "print the batch loss every this many steps")
	ema := fs.Float64("ema", 0, "save the moving average of the weights with this decay, e.g. 0.999 (0: the last iterate)")
	conditional := fs.Bool("conditional", false, "train a class-conditional model on the data's labels (classifier-free guidance)")
	labelDropout := fs.Float64("label-dropout", diffusion.DefaultLabelDropout, "with --conditional: probability of training a point with the null class")
	otPairing := fs.Bool("ot-pairing", false, "pair each batch's noise and data by exact minibatch OT (deterministic samplers only)")
	backend := fs.String("backend", "auto", backendFlagHelp)
	asJSON := fs.Bool("json", false, "print a JSON report")
	if st, ok := parseFlags(fs, args); !ok {
		return st
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "otplay train: "+format+"\n", a...)
		return 2
	}
	if *out == "" {
		return usageErr("--out MODEL.json is required")
	}
	if err := safefile.CheckExt(*out, ".json"); err != nil {
		return usageErr("--out: %v", err)
	}
	widths, err := trainParseWidths(*hidden)
	if err != nil {
		return usageErr("--hidden %q: %v", *hidden, err)
	}
	act, err := nn.ParseActivation(*activation)
	if err != nil {
		return usageErr("--activation %q: want silu or relu", *activation)
	}
	sched, err := diffusion.ParseSchedule(*scheduleName)
	if err != nil {
		return usageErr("--schedule: %v", sampleTrimErr(err))
	}
	if err := checkSteps("--steps", *steps, maxTrainSteps); err != nil {
		return usageErr("%v", err)
	}
	switch {
	case *batch < 1 || *batch > 1<<20:
		return usageErr("--batch = %d: want 1 .. %d", *batch, 1<<20)
	case !(*lr > 0) || math.IsInf(*lr, 0):
		return usageErr("--lr = %v: want a positive number", *lr)
	case *logEvery < 1:
		return usageErr("--log-every = %d: want >= 1", *logEvery)
	case !(*ema >= 0 && *ema < 1):
		return usageErr("--ema = %v: want a decay in [0, 1)", *ema)
	case !(*labelDropout > 0 && *labelDropout < 1):
		return usageErr("--label-dropout = %v: want a probability in (0, 1)", *labelDropout)
	}
	set, err := data.Parse(*dataSpec)
	if err != nil {
		if errors.Is(err, data.ErrBadSpec) {
			return usageErr("--data: %v", err)
		}
		fmt.Fprintf(stderr, "otplay train: --data: %v\n", err)
		return 1
	}
	var labels []int
	classes := 0
	if *conditional {
		if set.Labels == nil {
			return usageErr("--conditional: the data %s has no labels (labelled sets: 8gaussians, 25gaussians, moons, circles, spirals, digits)", *dataSpec)
		}
		labels = set.Labels
		for _, l := range labels {
			if l < 0 {
				return usageErr("--conditional: the data %s has a negative label %d", *dataSpec, l)
			}
			classes = max(classes, l+1)
		}
	}
	// The model-size limit sample shares: refuse before training.
	cond := 2*nn.DefaultFrequencies + classes
	if p := mlpParams(set.D, cond, widths, set.D); p > maxModelParams {
		return usageErr("--hidden %s: %d parameters exceed the model limit of %d (a model file must stay under %d MiB for otplay sample to read it); use narrower layers", *hidden, p, maxModelParams, nn.MaxFileBytes>>20)
	}
	b, note, err := openBackend(*backend)
	if err != nil {
		fmt.Fprintln(stderr, "otplay train:", err)
		return 1
	}
	defer b.Close()
	if note != "" {
		fmt.Fprintln(stderr, "otplay train:", note)
	}
	bar := newProgress(stderr, "train", "steps", *steps)
	m, res, err := diffusion.Train(b, sched, set.Points, set.N, set.D, diffusion.TrainSettings{
		Hidden: widths, Activation: act, Steps: *steps, Batch: *batch, LR: *lr, Seed: *seed,
		LogEvery: *logEvery, Data: *dataSpec, EMA: *ema, Labels: labels, LabelDropout: *labelDropout, OTPairing: *otPairing,
		Progress: func(step int, loss float64) {
			switch {
			case bar.active:
				bar.Set(step, fmt.Sprintf("loss %.4f", loss))
			case !*asJSON:
				fmt.Fprintf(stderr, "step %6d  loss %.4f\n", step, loss)
			}
		},
	})
	bar.Finish()
	if err != nil {
		fmt.Fprintln(stderr, "otplay train:", err)
		return 1
	}
	if err := trainSave(*out, m); err != nil {
		fmt.Fprintln(stderr, "otplay train:", err)
		return 1
	}
	rep := trainReport{Out: *out, Data: *dataSpec, N: set.N, D: set.D, Steps: res.Steps, Batch: *batch, Hidden: widths,
		Params: m.NumParams(), Schedule: sched.Name(), Classes: classes, Coupling: m.Meta[diffusion.MetaCoupling], Losses: res.Losses, LossSteps: res.LossAt,
		TimeMS: float64(res.Duration.Microseconds()) / 1000, Backend: b.Info().Name}
	if *asJSON {
		return writeJSON(stdout, stderr, "train", rep)
	}
	last := math.NaN()
	if len(res.Losses) > 0 {
		last = res.Losses[len(res.Losses)-1]
	}
	fmt.Fprintf(stdout, "trained %d steps (%d parameters) on %s in %.1f s on %s; final batch loss %.4f; wrote %s\n",
		res.Steps, rep.Params, *dataSpec, rep.TimeMS/1000, rep.Backend, last, *out)
	return 0
}

// trainSave writes the model file atomically, refusing (before touching
// the destination) a file larger than sample reads.
func trainSave(path string, m *nn.MLP) error {
	var buf bytes.Buffer
	if err := m.Write(&buf); err != nil {
		return err
	}
	if buf.Len() > nn.MaxFileBytes {
		return fmt.Errorf("--out %s: the model file would be %d bytes, above the %d that otplay sample reads; use narrower layers", path, buf.Len(), nn.MaxFileBytes)
	}
	return safefile.WriteFile(path, buf.Bytes())
}

func trainParseWidths(s string) ([]int, error) {
	var w []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v < 1 || v > nn.MaxWidth {
			return nil, fmt.Errorf("width %q is not an integer in [1, %d]", f, nn.MaxWidth)
		}
		w = append(w, v)
	}
	return w, nil
}
