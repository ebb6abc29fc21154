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
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/otplay/otplay/internal/safefile"
)

// maxCSVLine bounds one CSV line (16 MiB).
const maxCSVLine = 16 << 20

// ReadCSV reads points, one per line, as numpy.savetxt and spreadsheets
// write them: coordinates separated by commas, or by runs of spaces and
// tabs (savetxt's default) when the first data line has no comma. Blank
// lines and lines starting with '#' (savetxt's header) are skipped; a
// first line none of whose fields is a number is a header and skipped (a
// line that mixes numbers and words is an error, never a header). Numbers
// use the syntax Python's float and C's strtod share: an optional sign,
// digits with an optional point, an optional exponent (1, -2.5, .5, 3.,
// 1e-3). Go-only forms such as 1_000 and 0x1p3 are refused. Every row must
// have the same number of columns. Errors wrap ErrBadSpec and give the
// line and column (1-based): a field that is not a number, a ragged row,
// NaN or Inf, more than MaxPoints rows or MaxElements values.
func ReadCSV(r io.Reader) (pts []float64, n, d int, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxCSVLine)
	line := 0
	first := true
	var comma, fixed bool // the delimiter, once a data row has fixed it
	for sc.Scan() {
		line++
		text := sc.Text()
		if line == 1 {
			text = strings.TrimPrefix(text, "\ufeff") // a UTF-8 byte order mark
		}
		text = strings.TrimSpace(text)
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		useComma := comma
		if !fixed {
			useComma = strings.Contains(text, ",")
		}
		var fields []string
		if useComma {
			fields = strings.Split(text, ",")
		} else {
			fields = strings.Fields(text)
		}
		row := make([]float64, 0, len(fields))
		var bad error
		numeric := 0
		for c, f := range fields {
			f = strings.TrimSpace(f)
			v, ok := parseNumber(f)
			if !ok {
				if bad == nil && f == "" {
					bad = specErr("line %d, column %d: empty field", line, c+1)
				} else if bad == nil {
					bad = specErr("line %d, column %d: %q is not a number", line, c+1, clip(f))
				}
				continue
			}
			numeric++
			if bad == nil && (math.IsNaN(v) || math.IsInf(v, 0)) {
				bad = specErr("line %d, column %d: value %s is not finite (point %d, coordinate %d)", line, c+1, clip(f), n, c)
			}
			row = append(row, v)
		}
		if first && numeric == 0 {
			first = false // a header line: no field is a number
			continue
		}
		if bad != nil {
			if !useComma && !fixed && strings.ContainsAny(text, ";|") {
				bad = fmt.Errorf("%w (separate values with commas or spaces)", bad)
			}
			return nil, 0, 0, bad
		}
		first = false
		comma, fixed = useComma, true
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

// parseNumber parses s in the float syntax Python and C share (see
// ReadCSV), plus inf, infinity and nan in any case (returned as such, for
// the caller to refuse with a clear message). A value beyond the float64
// range parses as ±Inf, as in Python.
func parseNumber(s string) (float64, bool) {
	body := s
	if body != "" && (body[0] == '+' || body[0] == '-') {
		body = body[1:]
	}
	switch strings.ToLower(body) {
	case "inf", "infinity", "nan":
		v, err := strconv.ParseFloat(s, 64)
		return v, err == nil
	}
	i, digits := 0, 0
	for i < len(body) && body[i] >= '0' && body[i] <= '9' {
		i++
		digits++
	}
	if i < len(body) && body[i] == '.' {
		i++
		for i < len(body) && body[i] >= '0' && body[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return 0, false
	}
	if i < len(body) && (body[i] == 'e' || body[i] == 'E') {
		i++
		if i < len(body) && (body[i] == '+' || body[i] == '-') {
			i++
		}
		exp := 0
		for i < len(body) && body[i] >= '0' && body[i] <= '9' {
			i++
			exp++
		}
		if exp == 0 {
			return 0, false
		}
	}
	if i != len(body) {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false
	}
	return v, true
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

// ReadNPY reads a NumPy .npy array (format versions 1, 2 and 3) and
// returns its values as float64 in C (row-major) order with its shape. It
// reads dtypes float32, float64, int32 and int64, little- or big-endian,
// 1-D or 2-D, in C or Fortran order; integers beyond 2^53 in magnitude
// (not exact in float64) are refused. The header is checked before any
// data are read: the declared size must not exceed MaxElements values
// and, when the reader's length is known (a file, a bytes.Reader), must
// match the bytes that follow, so a header that lies costs no allocation.
// The data are decoded by github.com/sbinet/npyio. Errors wrap ErrBadSpec:
// a bad magic or header, another dtype, more than 2 dimensions, an empty
// array, a short file or trailing bytes, NaN or Inf (with the index).
func ReadNPY(r io.Reader) (vals []float64, shape []int, err error) {
	return readNPY(r, readerSize(r))
}

// readerSize returns the bytes left in r when r can tell, else -1.
func readerSize(r io.Reader) int64 {
	switch v := r.(type) {
	case interface{ Len() int }: // bytes.Reader, bytes.Buffer, strings.Reader
		return int64(v.Len())
	case *os.File:
		st, err := v.Stat()
		if err != nil || !st.Mode().IsRegular() {
			return -1
		}
		pos, err := v.Seek(0, io.SeekCurrent)
		if err != nil {
			return -1
		}
		return st.Size() - pos
	}
	return -1
}

// readNPY is ReadNPY with the number of bytes r holds (-1: unknown).
func readNPY(r io.Reader, size int64) (vals []float64, shape []int, err error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return nil, nil, specErr("npy: file shorter than its 8-byte preamble")
	}
	if string(pre[:6]) != npyMagic {
		return nil, nil, specErr("npy: bad magic %q (not a .npy file)", pre[:6])
	}
	var hlen, lenBytes int
	switch pre[6] {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, nil, specErr("npy: truncated header length")
		}
		hlen, lenBytes = int(binary.LittleEndian.Uint16(b[:])), 2
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, nil, specErr("npy: truncated header length")
		}
		hlen, lenBytes = int(binary.LittleEndian.Uint32(b[:])), 4
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
	dt, err := npyParseDescr(h.descr)
	if err != nil {
		return nil, nil, err
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
	want := int64(total) * int64(dt.size)
	if size >= 0 {
		left := size - int64(8+lenBytes+hlen)
		if left < want {
			return nil, nil, specErr("npy: header declares shape %v of %s (%d bytes) but the file holds %d bytes of data", h.shape, h.descr, want, left)
		}
		if left > want {
			return nil, nil, specErr("npy: trailing bytes: %d bytes of data after shape %v of %s (%d bytes)", left, h.shape, h.descr, want)
		}
	}
	// Read what is there, growing the buffer as data arrive (never by
	// the header's word alone), one byte past the declared end.
	raw, err := io.ReadAll(io.LimitReader(r, want+1))
	if err != nil {
		return nil, nil, err
	}
	if int64(len(raw)) < want {
		return nil, nil, specErr("npy: data truncated: %d of %d bytes", len(raw), want)
	}
	if int64(len(raw)) > want {
		return nil, nil, specErr("npy: trailing bytes after %d values of shape %v", total, h.shape)
	}
	flat, err := dt.decode(raw, total)
	if err != nil {
		return nil, nil, err
	}
	vals = flat
	if h.fortran && len(h.shape) == 2 {
		// Fortran order: column-major; transpose into row-major.
		n, d := h.shape[0], h.shape[1]
		vals = make([]float64, total)
		for j := 0; j < d; j++ {
			for i := 0; i < n; i++ {
				vals[i*d+j] = flat[j*n+i]
			}
		}
	}
	for i, v := range vals {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, nil, specErr("npy: value %d %s is %v (not finite)", i, npyIndex(i, h.shape), v)
		}
	}
	return vals, h.shape, nil
}

// npyDtype is one dtype ReadNPY reads.
type npyDtype struct {
	kind  byte // 'f' or 'i'
	size  int  // 4 or 8
	order byte // '<' or '>'
}

// npyParseDescr parses a dtype string: an optional byte order ('<', '>',
// '=' native, '|' not applicable) then f4, f8, i4 or i8, or the names
// float32, float64, int32, int64.
func npyParseDescr(s string) (npyDtype, error) {
	names := map[string]string{"float32": "<f4", "float64": "<f8", "int32": "<i4", "int64": "<i8"}
	if v, ok := names[s]; ok {
		s = v
	}
	dt := npyDtype{order: '<'}
	body := s
	if body != "" && strings.IndexByte("<>=|", body[0]) >= 0 {
		if body[0] == '>' {
			dt.order = '>'
		}
		body = body[1:]
	}
	switch body {
	case "f4", "f8", "i4", "i8":
		dt.kind, dt.size = body[0], int(body[1]-'0')
		return dt, nil
	}
	return dt, specErr("npy: dtype %q not supported (want float32, float64, int32 or int64, either byte order)", s)
}

// decodePlain turns n raw values of dt into float64 with encoding/binary:
// the decoder of the browser build (which leaves npyio out to keep the
// wasm small); natively a test checks it against npyio's.
func (dt npyDtype) decodePlain(raw []byte, n int) ([]float64, error) {
	var order binary.ByteOrder = binary.LittleEndian
	if dt.order == '>' {
		order = binary.BigEndian
	}
	out := make([]float64, n)
	for i := range out {
		switch {
		case dt.kind == 'f' && dt.size == 8:
			out[i] = math.Float64frombits(order.Uint64(raw[8*i:]))
		case dt.kind == 'f':
			out[i] = float64(math.Float32frombits(order.Uint32(raw[4*i:])))
		case dt.size == 8:
			x := int64(order.Uint64(raw[8*i:]))
			if x > 1<<53 || x < -(1<<53) {
				return nil, errInexactInt(x, i)
			}
			out[i] = float64(x)
		default:
			out[i] = float64(int32(order.Uint32(raw[4*i:])))
		}
	}
	return out, nil
}

func errInexactInt(x int64, i int) error {
	return specErr("npy: int64 value %d at index %d is not exact in float64 (|v| > 2^53)", x, i)
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

// TextExts and ArrayExts are the file extensions Load reads as text
// (ReadCSV) and as NumPy arrays (ReadNPY, ReadNPZ).
var (
	TextExts  = []string{".csv", ".txt", ".tsv", ".dat"}
	ArrayExts = []string{".npy", ".npz"}
)

// fileExt returns the lower-case extension of path if Load reads it.
func fileExt(path string) (string, bool) {
	ext := strings.ToLower(filepath.Ext(path))
	return ext, slices.Contains(TextExts, ext) || slices.Contains(ArrayExts, ext)
}

// Load reads a point set from a file, by its extension: text (.csv, .txt,
// .tsv, .dat; see ReadCSV), .npy (ReadNPY; a 1-D array is n points of
// dimension 1) or .npz (ReadNPZ; the archive must hold one array).
// Errors name the path.
func Load(path string) (Set, error) {
	ext, ok := fileExt(path)
	if !ok {
		return Set{}, specErr("%s: want a %s file", path, strings.Join(append(slices.Clone(TextExts), ArrayExts...), ", "))
	}
	f, err := os.Open(path)
	if err != nil {
		return Set{}, err
	}
	defer f.Close()
	var (
		pts   []float64
		n, d  int
		shape []int
	)
	switch ext {
	case ".npy":
		pts, shape, err = ReadNPY(f)
	case ".npz":
		var st os.FileInfo
		if st, err = f.Stat(); err != nil {
			return Set{}, err
		}
		var names []string
		var arrays map[string][]float64
		var shapes map[string][]int
		names, arrays, shapes, err = ReadNPZ(f, st.Size())
		if err == nil && len(names) != 1 {
			err = specErr("the archive holds %d arrays (%s); save the points alone (numpy.save, or numpy.savez with one array)", len(names), strings.Join(names, ", "))
		}
		if err == nil {
			pts, shape = arrays[names[0]], shapes[names[0]]
		}
	default:
		pts, n, d, err = ReadCSV(bufio.NewReader(f))
	}
	if err != nil {
		return Set{}, fmt.Errorf("%s: %w", path, err)
	}
	if shape != nil {
		n, d = shape[0], 1
		if len(shape) == 2 {
			d = shape[1]
		}
	}
	if n > MaxPoints {
		return Set{}, specErr("%s: %d points exceed the limit of %d", path, n, MaxPoints)
	}
	return Set{Name: path, Points: pts, N: n, D: d}, nil
}

// LoadWeights reads a weight vector (the --a / --b files) from a file
// Load reads: one column, one row, or a 1-D array. Weights must be finite
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

// OutputExts are the extensions Save and SaveVector write.
var OutputExts = []string{".csv", ".npy"}

// Save writes an n x d matrix (points, or a transport plan with d = m
// columns) to path as .csv or .npy by its extension, atomically (package
// internal/safefile: a temporary file renamed into place).
func Save(path string, v []float64, n, d int) error {
	return save(path, func(w io.Writer) error {
		if strings.HasSuffix(strings.ToLower(path), ".npy") {
			return WriteNPY(w, v, n, d)
		}
		return WriteCSV(w, v, n, d)
	})
}

// SaveVector writes a vector (weights, potentials) to path as .csv (one
// value per line) or .npy (a 1-D array) by its extension, atomically.
func SaveVector(path string, v []float64) error {
	return save(path, func(w io.Writer) error {
		if strings.HasSuffix(strings.ToLower(path), ".npy") {
			return WriteNPY(w, v, len(v))
		}
		return WriteCSV(w, v, len(v), 1)
	})
}

// SaveNPZ writes named vectors to path as an .npz archive, atomically.
func SaveNPZ(path string, names []string, arrays [][]float64) error {
	if strings.ToLower(filepath.Ext(path)) != ".npz" {
		return specErr("%s: want a path ending in .npz", path)
	}
	return safefile.Write(path, func(w io.Writer) error { return WriteNPZ(w, names, arrays) })
}

func save(path string, write func(io.Writer) error) error {
	if !slices.Contains(OutputExts, strings.ToLower(filepath.Ext(path))) {
		return specErr("%s: want a path ending in .csv or .npy", path)
	}
	return safefile.Write(path, write)
}
