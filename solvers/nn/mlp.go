package nn

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/otplay/otplay/compute"
)

// ErrBadModel is wrapped by every error about a model description or a
// model file (bad sizes, unknown activation, wrong version, truncated or
// non-finite weights). Use errors.Is.
var ErrBadModel = errors.New("nn: bad model")

func modelErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadModel, fmt.Sprintf(format, args...))
}

// Activation is the non-linearity of the hidden layers.
type Activation int

const (
	// SiLU is x sigmoid(x) (Elfwing, Uchibe and Doya 2018; "swish"), the
	// activation of the DDPM U-Net (Ho et al. 2020).
	SiLU Activation = iota
	// ReLU is max(x, 0).
	ReLU
)

var activationNames = [...]string{"silu", "relu"}

func (a Activation) String() string {
	if a < 0 || int(a) >= len(activationNames) {
		return fmt.Sprintf("Activation(%d)", int(a))
	}
	return activationNames[a]
}

// ParseActivation returns the Activation of a name ("silu", "relu").
func ParseActivation(name string) (Activation, error) {
	for i, n := range activationNames {
		if strings.EqualFold(n, name) {
			return Activation(i), nil
		}
	}
	return 0, modelErr("unknown activation %q (valid: silu, relu)", name)
}

// MarshalJSON writes the activation's name.
func (a Activation) MarshalJSON() ([]byte, error) { return json.Marshal(a.String()) }

// UnmarshalJSON reads an activation name.
func (a *Activation) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return modelErr("activation: %v", err)
	}
	v, err := ParseActivation(s)
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// Config is the shape of an MLP: In inputs plus Cond conditioning inputs
// (e.g. a time embedding), hidden layers of the given widths with
// Activation, and a linear output layer of Out units.
type Config struct {
	In         int        `json:"in"`
	Cond       int        `json:"cond"`
	Hidden     []int      `json:"hidden"`
	Out        int        `json:"out"`
	Activation Activation `json:"activation"`
}

// MaxWidth bounds every layer width (and In, Cond, Out), so that a model
// file cannot ask for an absurd allocation.
const MaxWidth = 1 << 14

// Validate checks the sizes.
func (c Config) Validate() error {
	if c.In < 1 || c.In > MaxWidth {
		return modelErr("in = %d outside [1, %d]", c.In, MaxWidth)
	}
	if c.Cond < 0 || c.Cond > MaxWidth {
		return modelErr("cond = %d outside [0, %d]", c.Cond, MaxWidth)
	}
	if c.Out < 1 || c.Out > MaxWidth {
		return modelErr("out = %d outside [1, %d]", c.Out, MaxWidth)
	}
	if len(c.Hidden) > 64 {
		return modelErr("%d hidden layers (at most 64)", len(c.Hidden))
	}
	for i, h := range c.Hidden {
		if h < 1 || h > MaxWidth {
			return modelErr("hidden[%d] = %d outside [1, %d]", i, h, MaxWidth)
		}
	}
	if c.Activation < 0 || int(c.Activation) >= len(activationNames) {
		return modelErr("unknown activation %d", int(c.Activation))
	}
	return nil
}

// widths returns the layer sizes in+cond, hidden..., out.
func (c Config) widths() []int {
	w := []int{c.In + c.Cond}
	w = append(w, c.Hidden...)
	return append(w, c.Out)
}

// Layer is one affine map z = a W + b: W is In x Out row-major, B has Out
// entries.
type Layer struct {
	In  int       `json:"in"`
	Out int       `json:"out"`
	W   []float64 `json:"w"`
	B   []float64 `json:"b"`
}

// MLP is a multilayer perceptron held on the host (for files and for the
// float64 reference forward pass). The first layer's rows 0..In-1 act on
// the input, rows In..In+Cond-1 on the conditioning vector.
type MLP struct {
	Config
	Layers []Layer
	// TimeEmbedding, if Cond > 0, says how the conditioning vector is
	// made from a time (see TimeEmbedding): its Dim() features come
	// first; the Cond - Dim() after them are the user's (package
	// diffusion puts a one-hot class there).
	TimeEmbedding *TimeEmbedding
	// Meta holds free-form facts about the model for its users (the
	// diffusion package stores the schedule and prediction here).
	Meta map[string]string
}

// New returns an MLP of config c with hidden weights drawn by the scheme
// of He et al. 2015 ("Delving deep into rectifiers", eq. (10)), W ~ N(0,
// 2/fan_in), the output layer's by LeCun's N(0, 1/fan_in) (it is linear),
// from the Philox stream of seed; biases 0.
func New(c Config, seed uint64) (*MLP, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	w := c.widths()
	m := &MLP{Config: c}
	var ctr uint64
	for l := 0; l+1 < len(w); l++ {
		in, out := w[l], w[l+1]
		std := math.Sqrt(2 / float64(in))
		if l+2 == len(w) {
			std = math.Sqrt(1 / float64(in))
		}
		L := Layer{In: in, Out: out, W: make([]float64, in*out), B: make([]float64, out)}
		for i := range L.W {
			L.W[i] = std * compute.NormalAt(seed, ctr)
			ctr++
		}
		m.Layers = append(m.Layers, L)
	}
	return m, nil
}

// NumParams returns the number of weights and biases.
func (m *MLP) NumParams() int {
	n := 0
	for _, L := range m.Layers {
		n += len(L.W) + len(L.B)
	}
	return n
}

// check verifies that the layers match the config and are finite.
func (m *MLP) check() error {
	if err := m.Config.Validate(); err != nil {
		return err
	}
	w := m.widths()
	if len(m.Layers) != len(w)-1 {
		return modelErr("%d layers, want %d for hidden %v", len(m.Layers), len(w)-1, m.Hidden)
	}
	for l, L := range m.Layers {
		if L.In != w[l] || L.Out != w[l+1] {
			return modelErr("layer %d is %d x %d, want %d x %d", l, L.In, L.Out, w[l], w[l+1])
		}
		if len(L.W) != L.In*L.Out || len(L.B) != L.Out {
			return modelErr("layer %d has %d weights and %d biases, want %d and %d", l, len(L.W), len(L.B), L.In*L.Out, L.Out)
		}
		for i, v := range L.W {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return modelErr("layer %d weight %d = %v is not finite", l, i, v)
			}
		}
		for i, v := range L.B {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return modelErr("layer %d bias %d = %v is not finite", l, i, v)
			}
		}
	}
	if m.Cond > 0 && m.TimeEmbedding != nil {
		if err := m.TimeEmbedding.Validate(); err != nil {
			return err
		}
		if m.TimeEmbedding.Dim() > m.Cond {
			return modelErr("time embedding has %d features, more than cond = %d", m.TimeEmbedding.Dim(), m.Cond)
		}
	}
	return nil
}

// ForwardHost evaluates the network in float64 on the host for n rows of
// x (n x In) and cond (n x Cond, or Cond values shared by every row, or
// nil when Cond = 0), writing n x Out values into dst. It is the
// reference the backend Net is tested against.
func (m *MLP) ForwardHost(dst, x, cond []float64, n int) error {
	if len(x) != n*m.In || len(dst) != n*m.Out {
		return modelErr("forward: x has %d values and dst %d, want %d and %d", len(x), len(dst), n*m.In, n*m.Out)
	}
	shared := len(cond) == m.Cond
	if m.Cond > 0 && !shared && len(cond) != n*m.Cond {
		return modelErr("forward: cond has %d values, want %d or %d", len(cond), m.Cond, n*m.Cond)
	}
	a := make([]float64, 0, 64)
	for i := range n {
		a = a[:0]
		a = append(a, x[i*m.In:(i+1)*m.In]...)
		if m.Cond > 0 {
			if shared {
				a = append(a, cond...)
			} else {
				a = append(a, cond[i*m.Cond:(i+1)*m.Cond]...)
			}
		}
		for l, L := range m.Layers {
			z := make([]float64, L.Out)
			copy(z, L.B)
			for k, v := range a {
				row := L.W[k*L.Out : (k+1)*L.Out]
				for j := range z {
					z[j] += v * row[j]
				}
			}
			if l+1 < len(m.Layers) {
				for j, v := range z {
					z[j] = activate(m.Activation, v)
				}
			}
			a = z
		}
		copy(dst[i*m.Out:], a)
	}
	return nil
}

func activate(act Activation, v float64) float64 {
	if act == ReLU {
		return max(v, 0)
	}
	return v / (1 + math.Exp(-v))
}

// FileFormat and FileVersion identify model files.
const (
	FileFormat  = "otplay-mlp"
	FileVersion = 1
)

// file is the JSON document of a model file.
type file struct {
	Format        string            `json:"format"`
	Version       int               `json:"version"`
	Config        Config            `json:"config"`
	TimeEmbedding *TimeEmbedding    `json:"time_embedding,omitempty"`
	Meta          map[string]string `json:"meta,omitempty"`
	Layers        []Layer           `json:"layers"`
}

// Write writes the model as one JSON document:
//
//	{"format": "otplay-mlp", "version": 1,
//	 "config": {"in", "cond", "hidden", "out", "activation"},
//	 "time_embedding": {...}, "meta": {...},
//	 "layers": [{"in", "out", "w": [row-major In x Out], "b": [...]}, ...]}
//
// Floats are written in Go's shortest round-trip form, so a model reads
// back bit for bit.
func (m *MLP) Write(w io.Writer) error {
	if err := m.check(); err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	return enc.Encode(file{Format: FileFormat, Version: FileVersion, Config: m.Config, TimeEmbedding: m.TimeEmbedding, Meta: m.Meta, Layers: m.Layers})
}

// MaxFileBytes bounds the size of a model file Read accepts (256 MiB).
const MaxFileBytes = 256 << 20

// Read parses a model written by Write, checking the format name, the
// version, every size against the config and that every weight is finite.
// Errors wrap ErrBadModel and say what is wrong.
func Read(r io.Reader) (*MLP, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileBytes {
		return nil, modelErr("model file larger than %d bytes", MaxFileBytes)
	}
	var f file
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, ErrBadModel) {
			return nil, err
		}
		return nil, modelErr("not a model file (JSON: %v)", err)
	}
	if f.Format != FileFormat {
		return nil, modelErr("format %q, want %q", f.Format, FileFormat)
	}
	if f.Version != FileVersion {
		return nil, modelErr("file version %d; this otplay reads version %d", f.Version, FileVersion)
	}
	m := &MLP{Config: f.Config, Layers: f.Layers, TimeEmbedding: f.TimeEmbedding, Meta: f.Meta}
	if err := m.check(); err != nil {
		return nil, err
	}
	return m, nil
}

// Save writes the model to the file path.
func (m *MLP) Save(path string) error {
	var buf bytes.Buffer
	if err := m.Write(&buf); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// Load reads a model file.
func Load(path string) (*MLP, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}
