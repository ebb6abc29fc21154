// Package shaders holds otplay's WGSL compute kernels, one file per kernel,
// and the tiny template step that specialises them.
//
// Each .wgsl file opens with what it computes as the equivalent Go loop,
// its bindings (storage buffers first, output first, the uniform Params
// last), its workgroup size and why, and the paper and equation it
// implements. Sizes that must be compile-time constants in WGSL (the point
// dimension D, rows per invocation R, workgroup size WG, tile length TILE)
// appear as {{NAME}} and are substituted by Source; a line
// `//#include other.wgsl` is replaced by that file.
package shaders

import (
	"embed"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

//go:embed *.wgsl
var files embed.FS

var placeholder = regexp.MustCompile(`\{\{([A-Z_]+)\}\}`)

// Source returns the WGSL text of kernel name (without .wgsl) with its
// includes expanded and every {{KEY}} replaced by consts[KEY]. It returns
// an error for an unknown kernel or a placeholder left without a value.
func Source(name string, consts map[string]int) (string, error) {
	return Template(name, consts, nil)
}

// Template is Source with code snippets too: a {{KEY}} is replaced by
// consts[KEY] when present, else by text[KEY] (generated WGSL).
func Template(name string, consts map[string]int, text map[string]string) (string, error) {
	src, err := expand(name+".wgsl", 0)
	if err != nil {
		return "", err
	}
	var missing []string
	out := placeholder.ReplaceAllStringFunc(src, func(m string) string {
		key := m[2 : len(m)-2]
		if v, ok := consts[key]; ok {
			return strconv.Itoa(v)
		}
		if t, ok := text[key]; ok {
			return t
		}
		missing = append(missing, key)
		return m
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("shaders: %s: no value for %s", name, strings.Join(missing, ", "))
	}
	return out, nil
}

// Names lists the kernels (files without .wgsl, includes excluded).
func Names() []string {
	entries, _ := files.ReadDir(".")
	var out []string
	for _, e := range entries {
		n := strings.TrimSuffix(e.Name(), ".wgsl")
		if !strings.HasPrefix(n, "inc_") {
			out = append(out, n)
		}
	}
	return out
}

func expand(file string, depth int) (string, error) {
	if depth > 4 {
		return "", fmt.Errorf("shaders: includes nested too deeply at %s", file)
	}
	b, err := files.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("shaders: no kernel %q", strings.TrimSuffix(file, ".wgsl"))
	}
	var sb strings.Builder
	for _, line := range strings.SplitAfter(string(b), "\n") {
		if inc, ok := strings.CutPrefix(strings.TrimSpace(line), "//#include "); ok {
			s, err := expand(strings.TrimSpace(inc), depth+1)
			if err != nil {
				return "", err
			}
			sb.WriteString(s)
			sb.WriteString("\n")
			continue
		}
		sb.WriteString(line)
	}
	return sb.String(), nil
}
