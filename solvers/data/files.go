package data

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// maxCSVLine bounds one CSV line (16 MiB).
const maxCSVLine = 16 << 20

// ReadCSV reads points, one per line, coordinates separated by commas
// (spaces around fields are ignored). Blank lines and lines starting with
// '#' (numpy.savetxt's header) are skipped; a first line with no number
// at all is taken as a header and skipped. Every row must have the same
// number of columns. Errors wrap ErrBadSpec and give the line and column
// (1-based): a field that is not a number, a ragged row, NaN or Inf,
// more than MaxPoints rows or MaxElements values.
func ReadCSV(r io.Reader) (pts []float64, n, d int, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxCSVLine)
	line := 0
	first := true
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Split(text, ",")
		row := make([]float64, 0, len(fields))
		var bad error
		numeric := 0
		for c, f := range fields {
			f = strings.TrimSpace(f)
			v, perr := strconv.ParseFloat(f, 64)
			if perr != nil {
				if bad == nil && f == "" {
					bad = specErr("line %d, column %d: empty field", line, c+1)
				} else if bad == nil {
					bad = specErr("line %d, column %d: %q is not a number", line, c+1, clip(f))
				}
				continue
			}
			numeric++
			if bad == nil && (math.IsNaN(v) || math.IsInf(v, 0)) {
				bad = specErr("line %d, column %d: value %v is not finite (point %d, coordinate %d)", line, c+1, v, n, c)
			}
			row = append(row, v)
		}
		if first && numeric == 0 {
			first = false // a header line: no field is a number
			continue
		}
		if bad != nil {
			return nil, 0, 0, bad
		}
		first = false
		if d == 0 {
			d = len(row)
		} else if len(row) != d {
			return nil, 0, 0, specErr("line %d: %d columns, want %d like the first row", line, len(row), d)
		}
		if n+1 > MaxPoints || (n+1)*d > MaxElements {
			return nil, 0, 0, specErr("line %d: more than %d points or %d values", line, MaxPoints, MaxElements)
		}
		pts = append(pts, row...)
		n++
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, 0, 0, specErr("line %d: longer than %d bytes", line+1, maxCSVLine)
		}
		return nil, 0, 0, err
	}
	if n == 0 {
		return nil, 0, 0, specErr("no data rows")
	}
	return pts, n, d, nil
}

// clip shortens a field quoted in an error.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// npyMagic opens every .npy file.
const npyMagic = "\x93NUMPY"

// maxNPYHeader bounds the header dictionary of a .npy file.
const maxNPYHeader = 1 << 16

// ReadNPY reads a NumPy .npy array (format versions 1, 2 and 3) of dtype
// float32 or float64, little-endian ('<f4', '<f8'), 1-D or 2-D in C
// order, and returns its values as float64 with its shape. Errors wrap
// ErrBadSpec: a bad magic or header, another dtype, big-endian data,
// fortran_order True, more than 2 dimensions, an empty array, a short
// file, NaN or Inf (with the flat index), more than MaxElements values.
func ReadNPY(r io.Reader) (vals []float64, shape []int, err error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return nil, nil, specErr("npy: file shorter than its 8-byte preamble")
	}
	if string(pre[:6]) != npyMagic {
		return nil, nil, specErr("npy: bad magic %q (not a .npy file)", pre[:6])
	}
	var hlen int
	switch pre[6] {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, nil, specErr("npy: truncated header length")
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, nil, specErr("npy: truncated header length")
		}
		hlen = int(binary.LittleEndian.Uint32(b[:]))
	default:
		return nil, nil, specErr("npy: format version %d.%d not supported (want 1, 2 or 3)", pre[6], pre[7])
	}
	if hlen > maxNPYHeader {
		return nil, nil, specErr("npy: header of %d bytes exceeds %d", hlen, maxNPYHeader)
	}
	hdr := make([]byte, hlen)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, nil, specErr("npy: header truncated (want %d bytes)", hlen)
	}
	h, err := parseNPYHeader(string(hdr))
	if err != nil {
		return nil, nil, err
	}
	var size int
	switch h.descr {
	case "<f8", "=f8", "float64":
		size = 8
	case "<f4", "=f4", "float32":
		size = 4
	case ">f8", ">f4":
		return nil, nil, specErr("npy: big-endian dtype %q not supported (save with dtype '<f8' or '<f4')", h.descr)
	default:
		return nil, nil, specErr("npy: dtype %q not supported (want float32 '<f4' or float64 '<f8')", h.descr)
	}
	if h.fortran && len(h.shape) > 1 {
		return nil, nil, specErr("npy: fortran_order is True; save a C-ordered array (numpy.ascontiguousarray)")
	}
	switch len(h.shape) {
	case 1, 2:
	case 0:
		return nil, nil, specErr("npy: 0-d array (a scalar); want 1-D or 2-D")
	default:
		return nil, nil, specErr("npy: %d-D array %v; want 1-D or 2-D", len(h.shape), h.shape)
	}
	total := 1
	for i, s := range h.shape {
		if s < 1 {
			return nil, nil, specErr("npy: empty array, shape %v (dimension %d is %d)", h.shape, i, s)
		}
		if s > MaxElements || total*s > MaxElements {
			return nil, nil, specErr("npy: shape %v exceeds the limit of %d values", h.shape, MaxElements)
		}
		total *= s
	}
	raw := make([]byte, total*size)
	if nr, err := io.ReadFull(r, raw); err != nil {
		return nil, nil, specErr("npy: data truncated: %d of %d bytes", nr, len(raw))
	}
	var extra [1]byte
	if nr, _ := r.Read(extra[:]); nr > 0 {
		return nil, nil, specErr("npy: trailing bytes after %d values of shape %v", total, h.shape)
	}
	vals = make([]float64, total)
	for i := range vals {
		if size == 8 {
			vals[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
		} else {
			vals[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])))
		}
		if math.IsNaN(vals[i]) || math.IsInf(vals[i], 0) {
			return nil, nil, specErr("npy: value %d %s is %v (not finite)", i, npyIndex(i, h.shape), vals[i])
		}
	}
	return vals, h.shape, nil
}

// npyIndex renders flat index i as a multi-index of shape.
func npyIndex(i int, shape []int) string {
	if len(shape) == 2 {
		return fmt.Sprintf("[%d, %d]", i/shape[1], i%shape[1])
	}
	return fmt.Sprintf("[%d]", i)
}

type npyHeader struct {
	descr   string
	fortran bool
	shape   []int
}

// parseNPYHeader parses the Python dict literal of a .npy header, e.g.
// {'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }.
func parseNPYHeader(s string) (npyHeader, error) {
	var h npyHeader
	p := &pyLexer{s: strings.TrimRight(s, " \n\x00")}
	bad := func(what string) (npyHeader, error) {
		return npyHeader{}, specErr("npy: malformed header %q: %s", clip(s), what)
	}
	if !p.eat('{') {
		return bad("want '{'")
	}
	seen := map[string]bool{}
	for {
		if p.eat('}') {
			break
		}
		key, ok := p.str()
		if !ok {
			return bad("want a quoted key")
		}
		if !p.eat(':') {
			return bad("want ':' after " + key)
		}
		switch key {
		case "descr":
			v, ok := p.str()
			if !ok {
				return bad("descr is not a string")
			}
			h.descr = v
		case "fortran_order":
			w := p.word()
			switch w {
			case "True":
				h.fortran = true
			case "False":
				h.fortran = false
			default:
				return bad("fortran_order is not True or False")
			}
		case "shape":
			if !p.eat('(') {
				return bad("shape is not a tuple")
			}
			for !p.eat(')') {
				w := p.word()
				v, err := strconv.Atoi(w)
				if err != nil || v < 0 {
					return bad("shape entry " + strconv.Quote(w) + " is not a nonnegative integer")
				}
				h.shape = append(h.shape, v)
				if !p.eat(',') && !p.peek(')') {
					return bad("want ',' or ')' in shape")
				}
			}
		default:
			return bad("unknown key " + strconv.Quote(key))
		}
		seen[key] = true
		if !p.eat(',') && !p.peek('}') {
			return bad("want ',' or '}'")
		}
	}
	if !seen["descr"] || !seen["fortran_order"] || !seen["shape"] {
		return bad("want the keys descr, fortran_order and shape")
	}
	if p.i != len(p.s) {
		return bad("text after '}'")
	}
	return h, nil
}

// pyLexer reads the few Python literal tokens of a .npy header.
type pyLexer struct {
	s string
	i int
}

func (p *pyLexer) skip() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *pyLexer) peek(c byte) bool {
	p.skip()
	return p.i < len(p.s) && p.s[p.i] == c
}

func (p *pyLexer) eat(c byte) bool {
	if p.peek(c) {
		p.i++
		return true
	}
	return false
}

// str reads a '...' or "..." string without escapes.
func (p *pyLexer) str() (string, bool) {
	p.skip()
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", false
	}
	q := p.s[p.i]
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", false
	}
	v := p.s[p.i+1 : p.i+1+end]
	p.i += end + 2
	return v, true
}

// word reads a run of letters, digits and '_' (True, False, 42; numpy
// may write 42L in Python 2 files).
func (p *pyLexer) word() string {
	p.skip()
	j := p.i
	for j < len(p.s) {
		c := p.s[j]
		if c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			j++
			continue
		}
		break
	}
	w := p.s[p.i:j]
	p.i = j
	return strings.TrimSuffix(w, "L")
}

// WriteCSV writes n points of dimension d (row-major v), one per line,
// comma-separated, in the shortest form that reads back exactly.
func WriteCSV(w io.Writer, v []float64, n, d int) error {
	if n < 0 || d < 1 || len(v) != n*d {
		return fmt.Errorf("%w: WriteCSV: %d values are not %d x %d", ErrBadSpec, len(v), n, d)
	}
	bw := bufio.NewWriter(w)
	buf := make([]byte, 0, 32)
	for i := 0; i < n; i++ {
		for k := 0; k < d; k++ {
			if k > 0 {
				bw.WriteByte(',')
			}
			buf = strconv.AppendFloat(buf[:0], v[i*d+k], 'g', -1, 64)
			bw.Write(buf)
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// WriteNPY writes v as a float64 little-endian C-order .npy file (format
// 1.0, header padded to 64 bytes) of the given shape (one or two
// dimensions whose product is len(v)).
func WriteNPY(w io.Writer, v []float64, shape ...int) error {
	total := 1
	for _, s := range shape {
		total *= s
	}
	if len(shape) < 1 || len(shape) > 2 || total != len(v) {
		return fmt.Errorf("%w: WriteNPY: %d values do not fill shape %v", ErrBadSpec, len(v), shape)
	}
	var sh string
	if len(shape) == 1 {
		sh = fmt.Sprintf("(%d,)", shape[0])
	} else {
		sh = fmt.Sprintf("(%d, %d)", shape[0], shape[1])
	}
	hdr := fmt.Sprintf("{'descr': '<f8', 'fortran_order': False, 'shape': %s, }", sh)
	pad := 64 - (10+len(hdr)+1)%64
	hdr += strings.Repeat(" ", pad%64) + "\n"
	var b bytes.Buffer
	b.WriteString(npyMagic)
	b.Write([]byte{1, 0})
	binary.Write(&b, binary.LittleEndian, uint16(len(hdr)))
	b.WriteString(hdr)
	if _, err := w.Write(b.Bytes()); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	var word [8]byte
	for _, x := range v {
		binary.LittleEndian.PutUint64(word[:], math.Float64bits(x))
		bw.Write(word[:])
	}
	return bw.Flush()
}

// Load reads a point set from a .csv or .npy file (see ReadCSV and
// ReadNPY; a 1-D .npy array is n points of dimension 1). Errors name the
// path.
func Load(path string) (Set, error) {
	f, err := os.Open(path)
	if err != nil {
		return Set{}, err
	}
	defer f.Close()
	var (
		pts  []float64
		n, d int
	)
	switch strings.ToLower(path[max(0, len(path)-4):]) {
	case ".csv":
		pts, n, d, err = ReadCSV(f)
	case ".npy":
		var shape []int
		pts, shape, err = ReadNPY(bufio.NewReader(f))
		if err == nil {
			n, d = shape[0], 1
			if len(shape) == 2 {
				d = shape[1]
			}
		}
	default:
		return Set{}, specErr("%s: want a .csv or .npy file", path)
	}
	if err != nil {
		return Set{}, fmt.Errorf("%s: %w", path, err)
	}
	if n > MaxPoints {
		return Set{}, specErr("%s: %d points exceed the limit of %d", path, n, MaxPoints)
	}
	return Set{Name: path, Points: pts, N: n, D: d}, nil
}

// LoadWeights reads a weight vector (the --a / --b files) from a .csv or
// .npy file: one column, one row, or a 1-D array. Weights must be finite
// and nonnegative with a positive total; they are returned as stored (not
// normalised: unbalanced solvers use the total mass). Errors name the
// path and the index of a bad entry.
func LoadWeights(path string) ([]float64, error) {
	s, err := Load(path)
	if err != nil {
		return nil, err
	}
	if s.D != 1 && s.N != 1 {
		return nil, specErr("%s: weights must be one column or one row, got %d x %d", path, s.N, s.D)
	}
	total := 0.0
	for i, w := range s.Points {
		if w < 0 {
			return nil, specErr("%s: weight %d is %g < 0", path, i, w)
		}
		total += w
	}
	if !(total > 0) {
		return nil, specErr("%s: weights sum to %g; want a positive total", path, total)
	}
	return s.Points, nil
}

// Save writes an n x d matrix (points, or a transport plan with d = m
// columns) to path as .csv or .npy by its extension.
func Save(path string, v []float64, n, d int) error {
	return save(path, func(w io.Writer) error {
		if strings.HasSuffix(strings.ToLower(path), ".npy") {
			return WriteNPY(w, v, n, d)
		}
		return WriteCSV(w, v, n, d)
	})
}

// SaveVector writes a vector (weights, potentials) to path as .csv (one
// value per line) or .npy (a 1-D array) by its extension.
func SaveVector(path string, v []float64) error {
	return save(path, func(w io.Writer) error {
		if strings.HasSuffix(strings.ToLower(path), ".npy") {
			return WriteNPY(w, v, len(v))
		}
		return WriteCSV(w, v, len(v), 1)
	})
}

func save(path string, write func(io.Writer) error) error {
	if !isFilePath(path) {
		return specErr("%s: want a path ending in .csv or .npy", path)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}
