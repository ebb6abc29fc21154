package play

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/preset"
)

// Presets on the pages: the presets of otplay sample, solve, patch and
// barycenter --preset (package preset: FastSB-OT's draft, balanced,
// ultra; SPOT's fast, repro; ATLAS's batch and resolution from the
// adapter's limits), chosen with a page's "preset" parameter. A preset
// sets the knobs it owns that are at their defaults: a knob the reader
// moved (in the form or the URL) wins, as an explicit flag wins on the
// command line. What depends on the hardware (the batch, the resolution)
// is read from the backend the page computes on when the run starts
// (preset.FromInfo: compute/webgpu reports the adapter's
// maxStorageBufferBindingSize, read through package gpu), and the frame
// says what the preset set and why (PresetReadout).

// NoPreset is the preset choice that sets nothing.
const NoPreset = "none"

// presetParam is a page's "preset" parameter offering names (after
// NoPreset where withNone), defaulting to def.
func presetParam(group, def string, names []string, withNone bool, help string) Param {
	choices := names
	if withNone {
		choices = append([]string{NoPreset}, names...)
	}
	return Param{Name: "preset", Label: "Preset", Group: group, Kind: KindChoice, Default: def, Choices: choices, Help: help}
}

// PresetReadout is what a page's preset set and why.
type PresetReadout struct {
	Name   string `json:"name"`
	Origin string `json:"origin"`
	// Set lists the knobs the preset set ("steps = 50"), Kept those the
	// reader had moved off their defaults, which it left.
	Set  []string `json:"set"`
	Kept []string `json:"kept,omitempty"`
	// Reason says why this hardware got these values (the batch's or the
	// resolution's reason of package preset).
	Reason string `json:"reason"`
}

// Text is the read-out's sentence: "ultra (FastSB-OT) set steps = 50,
// ...; kept particles = 300; why: ...".
func (r PresetReadout) Text() string {
	var b strings.Builder
	b.WriteString(r.Name + " (" + r.Origin + ") set ")
	if len(r.Set) == 0 {
		b.WriteString("nothing")
	} else {
		b.WriteString(strings.Join(r.Set, ", "))
	}
	if len(r.Kept) > 0 {
		b.WriteString("; kept your " + strings.Join(r.Kept, ", "))
	}
	if r.Reason != "" {
		b.WriteString("; why: " + r.Reason)
	}
	return b.String()
}

// presetApplier sets a preset's values on the knobs of a state that sit
// at their defaults and records what it did.
type presetApplier struct {
	schema Schema
	st     State
	out    *PresetReadout
}

// apply sets *dst to value when the state's parameter name is at its
// default (and value is not the zero value), recording "label = text";
// otherwise it records the reader's value as kept.
func applyPreset[T comparable](a presetApplier, name string, dst *T, value T, text string) {
	var zero T
	if value == zero || *dst == value {
		return
	}
	p, _ := a.schema.Param(name)
	if a.st.String(name) != p.Default {
		a.out.Kept = append(a.out.Kept, name+" = "+a.st.String(name))
		return
	}
	*dst = value
	a.out.Set = append(a.out.Set, name+" = "+text)
}

// PreferredBackend is the backend preference of a page's state: its
// "backend" parameter, except that a preset which forces a backend
// (SPOT's repro: the float64 CPU backend) takes it where the reader left
// backend at its default.
func PreferredBackend(st State) string {
	pref := st.String(BackendParam.Name)
	name := st.String("preset")
	if pref != BackendParam.Default || name == "" || name == NoPreset || !slices.Contains(preset.Names, name) {
		return pref
	}
	if p, err := preset.For(name, preset.Hardware{}); err == nil && p.Backend != "" {
		return p.Backend
	}
	return pref
}

// presetFor is preset.For on the hardware of backend b.
func presetFor(name string, b compute.Backend) (preset.Preset, preset.Hardware, error) {
	h := preset.FromInfo(b.Info())
	p, err := preset.For(name, h)
	return p, h, err
}

// imageResolution is the image work's resolution of preset name on
// backend b (preset.Resolution for k x k patches at stride s), and a
// read-out of the one value a page takes from it: pick returns that
// value, its parameter's name and its reason.
func imageResolution(name string, b compute.Backend, k, s int, pick func(preset.ImageResolution) (v int, param, why string)) (int, *PresetReadout, error) {
	p, h, err := presetFor(name, b)
	if err != nil {
		return 0, nil, fmt.Errorf("preset: %w", err)
	}
	v, param, why := pick(preset.Resolution(preset.ImageLevels[p.Name], h, "", k, s))
	return v, &PresetReadout{Name: p.Name, Origin: p.Origin, Set: []string{param + " = " + strconv.Itoa(v) + " px"}, Reason: why}, nil
}

// choiceOr is a choice's text v, or def where v is empty (a typed state
// built in Go without the field).
func choiceOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
