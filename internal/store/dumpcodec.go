package store

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// A dumped row is one line of JSON: an array with one value per column, in
// the order the table's column list gives. The values say their own type,
// so a row reads back exactly whatever engine wrote it:
//
//	null               NULL
//	123                integer (always without '.' or exponent)
//	1.5, 2.0, 1e+300   real (always with '.' or exponent)
//	{"f":"NaN"}        real that JSON cannot write: NaN, +Inf, -Inf
//	true, false        boolean (PostgreSQL)
//	"text"             text that is valid UTF-8
//	{"t":"base64"}     text that is not valid UTF-8 (SQLite can hold it)
//	{"b":"base64"}     blob
//
// The encoder and decoder are written by hand because a dump streams
// millions of rows: they allocate nothing per row once their buffers have
// grown, which encoding/json with []any cannot do.

// valueKind is the type of one decoded value.
type valueKind uint8

const (
	vNull valueKind = iota
	vInt
	vFloat
	vBool
	vText
	vBlob
)

func (k valueKind) String() string {
	return [...]string{"null", "integer", "real", "boolean", "text", "blob"}[k]
}

// dumpValue is one decoded value. b points into the decoder's buffer and is
// valid until the next row is decoded.
type dumpValue struct {
	kind valueKind
	i    int64 // vInt; vBool as 0 or 1
	f    float64
	b    []byte // vText, vBlob
}

// rowEncoder appends rows to buf.
type rowEncoder struct {
	buf []byte
	n   int // values in the current row
}

func (e *rowEncoder) begin() { e.buf = append(e.buf, '['); e.n = 0 }
func (e *rowEncoder) end()   { e.buf = append(e.buf, ']', '\n') }

func (e *rowEncoder) sep() {
	if e.n > 0 {
		e.buf = append(e.buf, ',')
	}
	e.n++
}

func (e *rowEncoder) null() { e.sep(); e.buf = append(e.buf, "null"...) }

func (e *rowEncoder) int(v int64) { e.sep(); e.buf = strconv.AppendInt(e.buf, v, 10) }

func (e *rowEncoder) bool(v bool) {
	e.sep()
	if v {
		e.buf = append(e.buf, "true"...)
	} else {
		e.buf = append(e.buf, "false"...)
	}
}

func (e *rowEncoder) float(v float64) {
	e.sep()
	switch {
	case math.IsNaN(v):
		e.buf = append(e.buf, `{"f":"NaN"}`...)
		return
	case math.IsInf(v, 1):
		e.buf = append(e.buf, `{"f":"+Inf"}`...)
		return
	case math.IsInf(v, -1):
		e.buf = append(e.buf, `{"f":"-Inf"}`...)
		return
	}
	start := len(e.buf)
	// 'g' with precision -1 is the shortest text that parses back to the
	// same float64, so reals round-trip bit for bit.
	e.buf = strconv.AppendFloat(e.buf, v, 'g', -1, 64)
	for _, c := range e.buf[start:] {
		if c == '.' || c == 'e' {
			return
		}
	}
	e.buf = append(e.buf, '.', '0') // mark it as a real, not an integer
}

func (e *rowEncoder) text(s []byte) {
	e.sep()
	if !utf8.Valid(s) {
		e.wrapped('t', s)
		return
	}
	e.buf = appendJSONString(e.buf, s)
}

func (e *rowEncoder) blob(s []byte) { e.sep(); e.wrapped('b', s) }

func (e *rowEncoder) wrapped(tag byte, s []byte) {
	e.buf = append(e.buf, '{', '"', tag, '"', ':', '"')
	e.buf = base64.StdEncoding.AppendEncode(e.buf, s)
	e.buf = append(e.buf, '"', '}')
}

const hexDigits = "0123456789abcdef"

// appendJSONString quotes valid UTF-8 s as a JSON string.
func appendJSONString(b, s []byte) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// lineReader reads the lines of a table stream without allocating per line.
type lineReader struct {
	r    *bufio.Reader
	long []byte // a line longer than r's buffer is gathered here
	line int    // lines read so far
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 1<<16)}
}

// next returns the next line without its newline, valid until the next
// call, or io.EOF after the last. A last line without a newline means the
// stream was cut short.
func (lr *lineReader) next() ([]byte, error) {
	b, err := lr.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		lr.long = append(lr.long[:0], b...)
		for errors.Is(err, bufio.ErrBufferFull) {
			b, err = lr.r.ReadSlice('\n')
			lr.long = append(lr.long, b...)
		}
		b = lr.long
	}
	switch {
	case err == io.EOF && len(b) == 0:
		return nil, io.EOF
	case err == io.EOF:
		return nil, fmt.Errorf("row %d is cut short", lr.line+1)
	case err != nil:
		return nil, err
	}
	lr.line++
	return b[:len(b)-1], nil
}

// rowDecoder parses rows written by rowEncoder.
type rowDecoder struct {
	vals    []dumpValue
	spans   []span // where each text or blob value lies in scratch
	scratch []byte
	p       []byte // the rest of the line being parsed
}

type span struct{ start, end int }

var errRowSyntax = errors.New("the row is not valid")

// decode parses line into d.vals, which it returns; it expects exactly n
// values.
func (d *rowDecoder) decode(line []byte, n int) ([]dumpValue, error) {
	d.vals, d.spans, d.scratch, d.p = d.vals[:0], d.spans[:0], d.scratch[:0], line
	if !d.eat('[') {
		return nil, errRowSyntax
	}
	for len(d.vals) < n {
		if len(d.vals) > 0 && !d.eat(',') {
			return nil, fmt.Errorf("the row has %d values, not %d", len(d.vals), n)
		}
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		d.vals = append(d.vals, v)
	}
	if !d.eat(']') || len(d.p) != 0 {
		return nil, fmt.Errorf("the row has more than %d values or trailing text", n)
	}
	// Text and blob values were decoded into scratch, which may have moved
	// while it grew; only now are their slices final.
	j := 0
	for i := range d.vals {
		if k := d.vals[i].kind; k == vText || k == vBlob {
			d.vals[i].b = d.scratch[d.spans[j].start:d.spans[j].end:d.spans[j].end]
			j++
		}
	}
	return d.vals, nil
}

func (d *rowDecoder) eat(c byte) bool {
	if len(d.p) > 0 && d.p[0] == c {
		d.p = d.p[1:]
		return true
	}
	return false
}

func (d *rowDecoder) literal(s string) bool {
	if len(d.p) >= len(s) && string(d.p[:len(s)]) == s {
		d.p = d.p[len(s):]
		return true
	}
	return false
}

func (d *rowDecoder) value() (dumpValue, error) {
	if len(d.p) == 0 {
		return dumpValue{}, errRowSyntax
	}
	switch c := d.p[0]; {
	case c == 'n' && d.literal("null"):
		return dumpValue{kind: vNull}, nil
	case c == 't' && d.literal("true"):
		return dumpValue{kind: vBool, i: 1}, nil
	case c == 'f' && d.literal("false"):
		return dumpValue{kind: vBool}, nil
	case c == '"':
		start := len(d.scratch)
		if err := d.str(); err != nil {
			return dumpValue{}, err
		}
		d.spans = append(d.spans, span{start, len(d.scratch)})
		return dumpValue{kind: vText}, nil
	case c == '{':
		return d.object()
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	}
	return dumpValue{}, errRowSyntax
}

// number parses an integer by hand (the common case, and exact for every
// int64) and anything with a fraction or exponent as a real.
func (d *rowDecoder) number() (dumpValue, error) {
	end, isFloat := 0, false
	for end < len(d.p) {
		c := d.p[end]
		if c == '.' || c == 'e' || c == 'E' || c == '+' {
			isFloat = true
		} else if !(c == '-' || (c >= '0' && c <= '9')) {
			break
		}
		end++
	}
	tok := d.p[:end]
	d.p = d.p[end:]
	if isFloat {
		f, err := strconv.ParseFloat(string(tok), 64)
		if err != nil {
			return dumpValue{}, fmt.Errorf("bad real %q", tok)
		}
		return dumpValue{kind: vFloat, f: f}, nil
	}
	neg := len(tok) > 0 && tok[0] == '-'
	digits := tok
	if neg {
		digits = tok[1:]
	}
	if len(digits) == 0 || len(digits) > 19 || (len(digits) > 1 && digits[0] == '0') {
		return dumpValue{}, fmt.Errorf("bad integer %q", tok)
	}
	var u uint64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return dumpValue{}, fmt.Errorf("bad integer %q", tok)
		}
		u = u*10 + uint64(c-'0')
	}
	switch {
	case !neg && u <= math.MaxInt64:
		return dumpValue{kind: vInt, i: int64(u)}, nil
	case neg && u <= 1<<63:
		return dumpValue{kind: vInt, i: int64(-u)}, nil // -(1<<63) wraps to MinInt64, as it should
	}
	return dumpValue{}, fmt.Errorf("integer %q out of range", tok)
}

// object parses the wrapped forms {"f":...}, {"t":...} and {"b":...}.
func (d *rowDecoder) object() (dumpValue, error) {
	if len(d.p) < 6 || d.p[0] != '{' || d.p[1] != '"' || d.p[3] != '"' || d.p[4] != ':' {
		return dumpValue{}, errRowSyntax
	}
	tag := d.p[2]
	d.p = d.p[5:]
	start := len(d.scratch)
	if err := d.str(); err != nil {
		return dumpValue{}, err
	}
	if !d.eat('}') {
		return dumpValue{}, errRowSyntax
	}
	raw := d.scratch[start:]
	switch tag {
	case 'f':
		v := dumpValue{kind: vFloat}
		switch string(raw) {
		case "NaN":
			v.f = math.NaN()
		case "+Inf":
			v.f = math.Inf(1)
		case "-Inf":
			v.f = math.Inf(-1)
		default:
			return dumpValue{}, fmt.Errorf("bad real %q", raw)
		}
		d.scratch = d.scratch[:start]
		return v, nil
	case 't', 'b':
		// Decode behind the text, then move the bytes down over it.
		encEnd := len(d.scratch)
		var err error
		if d.scratch, err = base64.StdEncoding.AppendDecode(d.scratch, raw); err != nil {
			return dumpValue{}, fmt.Errorf("bad base64 value: %v", err)
		}
		n := copy(d.scratch[start:], d.scratch[encEnd:])
		d.scratch = d.scratch[:start+n]
		d.spans = append(d.spans, span{start, start + n})
		if tag == 't' {
			return dumpValue{kind: vText}, nil
		}
		return dumpValue{kind: vBlob}, nil
	}
	return dumpValue{}, fmt.Errorf("unknown value form {%q:...}", tag)
}

// str unescapes a JSON string at d.p into scratch.
func (d *rowDecoder) str() error {
	if !d.eat('"') {
		return errRowSyntax
	}
	for {
		i := 0
		for i < len(d.p) && d.p[i] != '"' && d.p[i] != '\\' {
			if d.p[i] < 0x20 {
				return errors.New("a control character in a string")
			}
			i++
		}
		d.scratch = append(d.scratch, d.p[:i]...)
		d.p = d.p[i:]
		if len(d.p) == 0 {
			return errors.New("a string is not closed")
		}
		if d.p[0] == '"' {
			d.p = d.p[1:]
			return nil
		}
		if len(d.p) < 2 {
			return errors.New("a string is not closed")
		}
		c := d.p[1]
		d.p = d.p[2:]
		switch c {
		case '"', '\\', '/':
			d.scratch = append(d.scratch, c)
		case 'n':
			d.scratch = append(d.scratch, '\n')
		case 'r':
			d.scratch = append(d.scratch, '\r')
		case 't':
			d.scratch = append(d.scratch, '\t')
		case 'b':
			d.scratch = append(d.scratch, '\b')
		case 'f':
			d.scratch = append(d.scratch, '\f')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return errors.New("bad \\u escape")
			}
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if len(d.p) >= 2 && d.p[0] == '\\' && d.p[1] == 'u' {
					d.p = d.p[2:]
					if r2, ok = d.hex4(); !ok {
						return errors.New("bad \\u escape")
					}
				}
				if r = utf16.DecodeRune(r, r2); r == utf8.RuneError {
					return errors.New("a lone surrogate in a string")
				}
			}
			d.scratch = utf8.AppendRune(d.scratch, r)
		default:
			return fmt.Errorf("bad escape \\%c", c)
		}
	}
}

func (d *rowDecoder) hex4() (rune, bool) {
	if len(d.p) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range d.p[:4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c-'a') + 10
		case c >= 'A' && c <= 'F':
			r |= rune(c-'A') + 10
		default:
			return 0, false
		}
	}
	d.p = d.p[4:]
	return r, true
}
