package nn

import "math"

// TimeEmbedding maps a time t in [0, 1] to 2 Frequencies features, the
// sinusoidal position encoding of Vaswani et al. 2017 (section 3.5) as the
// DDPM network uses it for its timestep (Ho et al. 2020, appendix B):
//
//	e_k = sin(Scale t w_k), e_{F+k} = cos(Scale t w_k), w_k = MaxPeriod^(-k/F), k < F.
//
// Zero fields mean the defaults below.
type TimeEmbedding struct {
	Frequencies int     `json:"frequencies"`
	Scale       float64 `json:"scale"`
	MaxPeriod   float64 `json:"max_period"`
}

// Defaults of TimeEmbedding: 8 frequencies (16 features), Scale = 1000
// (t in [0, 1] spans DDPM's integer timesteps), MaxPeriod = 10000
// (Vaswani et al.).
const (
	DefaultFrequencies = 8
	DefaultTimeScale   = 1000
	DefaultMaxPeriod   = 10000
)

// WithDefaults returns e with zero fields replaced by the defaults.
func (e TimeEmbedding) WithDefaults() TimeEmbedding {
	if e.Frequencies == 0 {
		e.Frequencies = DefaultFrequencies
	}
	if e.Scale == 0 {
		e.Scale = DefaultTimeScale
	}
	if e.MaxPeriod == 0 {
		e.MaxPeriod = DefaultMaxPeriod
	}
	return e
}

// Validate checks the fields (after defaults).
func (e TimeEmbedding) Validate() error {
	e = e.WithDefaults()
	if e.Frequencies < 1 || e.Frequencies > 1024 {
		return modelErr("time embedding: frequencies = %d outside [1, 1024]", e.Frequencies)
	}
	if !(e.Scale > 0) || math.IsInf(e.Scale, 0) || !(e.MaxPeriod > 1) || math.IsInf(e.MaxPeriod, 0) {
		return modelErr("time embedding: scale = %v and max period = %v must be finite, scale > 0, max period > 1", e.Scale, e.MaxPeriod)
	}
	return nil
}

// Dim returns the number of features, 2 Frequencies.
func (e TimeEmbedding) Dim() int { return 2 * e.WithDefaults().Frequencies }

// Embed writes the features of t into dst (len Dim()).
func (e TimeEmbedding) Embed(dst []float64, t float64) {
	e = e.WithDefaults()
	f := e.Frequencies
	for k := range f {
		w := math.Pow(e.MaxPeriod, -float64(k)/float64(f))
		s, c := math.Sincos(e.Scale * t * w)
		dst[k], dst[f+k] = s, c
	}
}
