package play

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// MaxOTUploadBytes bounds an uploaded .csv file: MaxOTPoints lines of two
// numbers at full precision fit in about 100 kB.
const MaxOTUploadBytes = 256 << 10

// ParseOTCSV reads a point cloud from CSV text: one point per line, its
// first two fields numbers (x, y; further fields are ignored), separated
// by commas (or semicolons, or tabs), an optional header line of
// non-numbers first, blank lines and lines starting with # skipped. It
// refuses, naming the line, a non-numeric or non-finite coordinate, a line
// with fewer than two fields, more than MaxOTPoints points, and a file
// without points.
func ParseOTCSV(text string) (pts []float64, n int, err error) {
	if len(text) > MaxOTUploadBytes {
		return nil, 0, fmt.Errorf("file of %d bytes: at most %d", len(text), MaxOTUploadBytes)
	}
	sep := ','
	if first := firstDataLine(text); !strings.Contains(first, ",") {
		switch {
		case strings.Contains(first, ";"):
			sep = ';'
		case strings.Contains(first, "\t"):
			sep = '\t'
		}
	}
	r := csv.NewReader(strings.NewReader(text))
	r.Comma, r.Comment, r.FieldsPerRecord, r.TrimLeadingSpace = sep, '#', -1, true
	for rec := 0; ; rec++ {
		fields, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, 0, fmt.Errorf("line %d: %v", pe.StartLine, pe.Err)
			}
			return nil, 0, err
		}
		line, _ := r.FieldPos(0)
		if len(fields) == 1 && strings.TrimSpace(fields[0]) == "" {
			continue
		}
		if len(fields) < 2 {
			return nil, 0, fmt.Errorf("line %d: %d field, want x and y", line, len(fields))
		}
		x, ex := strconv.ParseFloat(strings.TrimSpace(fields[0]), 64)
		y, ey := strconv.ParseFloat(strings.TrimSpace(fields[1]), 64)
		if ex != nil || ey != nil {
			if n == 0 && rec == 0 { // a header
				continue
			}
			return nil, 0, fmt.Errorf("line %d: %q, %q are not two numbers", line, fields[0], fields[1])
		}
		if math.IsNaN(x) || math.IsInf(x, 0) || math.IsNaN(y) || math.IsInf(y, 0) {
			return nil, 0, fmt.Errorf("line %d: coordinates must be finite, got %v, %v", line, x, y)
		}
		if n == MaxOTPoints {
			return nil, 0, fmt.Errorf("more than %d points (line %d)", MaxOTPoints, line)
		}
		pts = append(pts, x, y)
		n++
	}
	if n == 0 {
		return nil, 0, errors.New("no points: want lines of x,y")
	}
	return pts, n, nil
}

func firstDataLine(text string) string {
	for _, l := range strings.Split(text, "\n") {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "#") {
			return t
		}
	}
	return ""
}
