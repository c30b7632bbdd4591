package evidence

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The PDF object syntax (ISO 32000 §7.3): enough of it to read the cross-
// reference data, the document information, the catalog and every object
// a page needs, and to write them back out.

type (
	pdfObj    any
	pdfName   string // decoded: "#20" is already a space
	pdfNum    string // the token as written, so it is written back unchanged
	pdfBool   bool
	pdfNull   struct{}
	pdfString []byte
	pdfArray  []pdfObj
	pdfRef    struct{ num, gen int }
	pdfDict   struct {
		keys []pdfName
		vals map[pdfName]pdfObj
	}
	pdfStream struct {
		dict *pdfDict
		data []byte // as stored (still encoded)
	}
)

func newDict() *pdfDict { return &pdfDict{vals: map[pdfName]pdfObj{}} }

func (d *pdfDict) get(k pdfName) pdfObj {
	if d == nil {
		return nil
	}
	return d.vals[k]
}

func (d *pdfDict) set(k pdfName, v pdfObj) {
	if _, ok := d.vals[k]; !ok {
		d.keys = append(d.keys, k)
	}
	d.vals[k] = v
}

func (d *pdfDict) del(k pdfName) {
	if _, ok := d.vals[k]; !ok {
		return
	}
	delete(d.vals, k)
	for i, x := range d.keys {
		if x == k {
			d.keys = append(d.keys[:i:i], d.keys[i+1:]...)
			break
		}
	}
}

func (d *pdfDict) name(k pdfName) pdfName {
	n, _ := d.get(k).(pdfName)
	return n
}

func (n pdfNum) int() (int, bool) {
	i, err := strconv.Atoi(string(n))
	return i, err == nil
}

var errPDF = errors.New("malformed PDF")

const pdfMaxDepth = 64

type tokKind int

const (
	tEOF tokKind = iota
	tNum
	tName
	tString
	tDictOpen
	tDictClose
	tArrOpen
	tArrClose
	tKeyword
)

type pdfToken struct {
	kind tokKind
	s    string // number, name or keyword text; string bytes
	pos  int
}

type pdfLexer struct {
	b []byte
	p int
}

func isPDFSpace(c byte) bool {
	return c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' '
}

func isPDFDelim(c byte) bool { return strings.IndexByte("()<>[]{}/%", c) >= 0 }

func (l *pdfLexer) skipSpace() {
	for l.p < len(l.b) {
		c := l.b[l.p]
		switch {
		case isPDFSpace(c):
			l.p++
		case c == '%':
			for l.p < len(l.b) && l.b[l.p] != '\n' && l.b[l.p] != '\r' {
				l.p++
			}
		default:
			return
		}
	}
}

func (l *pdfLexer) next() (pdfToken, error) {
	l.skipSpace()
	if l.p >= len(l.b) {
		return pdfToken{kind: tEOF, pos: l.p}, nil
	}
	start := l.p
	c := l.b[l.p]
	switch c {
	case '[':
		l.p++
		return pdfToken{kind: tArrOpen, pos: start}, nil
	case ']':
		l.p++
		return pdfToken{kind: tArrClose, pos: start}, nil
	case '<':
		if l.p+1 < len(l.b) && l.b[l.p+1] == '<' {
			l.p += 2
			return pdfToken{kind: tDictOpen, pos: start}, nil
		}
		s, err := l.hexString()
		return pdfToken{kind: tString, s: s, pos: start}, err
	case '>':
		if l.p+1 < len(l.b) && l.b[l.p+1] == '>' {
			l.p += 2
			return pdfToken{kind: tDictClose, pos: start}, nil
		}
		l.p++
		return pdfToken{}, errPDF
	case '(':
		s, err := l.literalString()
		return pdfToken{kind: tString, s: s, pos: start}, err
	case ')', '{', '}':
		l.p++
		return pdfToken{kind: tKeyword, s: string(c), pos: start}, nil
	case '/':
		l.p++
		return pdfToken{kind: tName, s: l.nameText(), pos: start}, nil
	}
	for l.p < len(l.b) && !isPDFSpace(l.b[l.p]) && !isPDFDelim(l.b[l.p]) {
		l.p++
	}
	word := string(l.b[start:l.p])
	if isPDFNumber(word) {
		return pdfToken{kind: tNum, s: word, pos: start}, nil
	}
	return pdfToken{kind: tKeyword, s: word, pos: start}, nil
}

func isPDFNumber(s string) bool {
	if s == "" {
		return false
	}
	digits, dot := 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
			dot++
		case (c == '+' || c == '-') && i == 0:
		default:
			return false
		}
	}
	return digits > 0 && dot <= 1
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func (l *pdfLexer) nameText() string {
	var b strings.Builder
	for l.p < len(l.b) && !isPDFSpace(l.b[l.p]) && !isPDFDelim(l.b[l.p]) {
		c := l.b[l.p]
		if c == '#' && l.p+2 < len(l.b) {
			h, ok1 := unhex(l.b[l.p+1])
			lo, ok2 := unhex(l.b[l.p+2])
			if ok1 && ok2 {
				b.WriteByte(h<<4 | lo)
				l.p += 3
				continue
			}
		}
		b.WriteByte(c)
		l.p++
	}
	return b.String()
}

func (l *pdfLexer) hexString() (string, error) {
	l.p++ // <
	var out []byte
	var hi byte
	half := false
	for l.p < len(l.b) {
		c := l.b[l.p]
		l.p++
		if c == '>' {
			if half {
				out = append(out, hi<<4)
			}
			return string(out), nil
		}
		if isPDFSpace(c) {
			continue
		}
		v, ok := unhex(c)
		if !ok {
			return "", errPDF
		}
		if half {
			out = append(out, hi<<4|v)
		} else {
			hi = v
		}
		half = !half
	}
	return "", errPDF
}

func (l *pdfLexer) literalString() (string, error) {
	l.p++ // (
	var out []byte
	depth := 1
	for l.p < len(l.b) {
		c := l.b[l.p]
		l.p++
		switch c {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return string(out), nil
			}
		case '\\':
			if l.p >= len(l.b) {
				return "", errPDF
			}
			e := l.b[l.p]
			l.p++
			switch e {
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case '\r':
				if l.p < len(l.b) && l.b[l.p] == '\n' {
					l.p++
				}
				continue
			case '\n':
				continue
			default:
				if e >= '0' && e <= '7' {
					v := int(e - '0')
					for i := 0; i < 2 && l.p < len(l.b) && l.b[l.p] >= '0' && l.b[l.p] <= '7'; i++ {
						v = v*8 + int(l.b[l.p]-'0')
						l.p++
					}
					c = byte(v)
				} else {
					c = e // \( \) \\ and unknown escapes stand for themselves
				}
			}
		}
		out = append(out, c)
	}
	return "", errPDF
}

// object parses one object; an integer followed by "gen R" is a reference.
func (l *pdfLexer) object(depth int) (pdfObj, error) {
	if depth > pdfMaxDepth {
		return nil, errPDF
	}
	t, err := l.next()
	if err != nil {
		return nil, err
	}
	return l.objectFrom(t, depth)
}

func (l *pdfLexer) objectFrom(t pdfToken, depth int) (pdfObj, error) {
	switch t.kind {
	case tNum:
		if num, err := strconv.Atoi(t.s); err == nil && num >= 0 {
			save := l.p
			t2, err2 := l.next()
			if err2 == nil && t2.kind == tNum {
				if gen, err := strconv.Atoi(t2.s); err == nil && gen >= 0 {
					t3, err3 := l.next()
					if err3 == nil && t3.kind == tKeyword && t3.s == "R" {
						return pdfRef{num, gen}, nil
					}
				}
			}
			l.p = save
		}
		return pdfNum(t.s), nil
	case tName:
		return pdfName(t.s), nil
	case tString:
		return pdfString(t.s), nil
	case tArrOpen:
		var arr pdfArray
		for {
			t, err := l.next()
			if err != nil {
				return nil, err
			}
			if t.kind == tArrClose {
				return arr, nil
			}
			if t.kind == tEOF || len(arr) > 1<<20 {
				return nil, errPDF
			}
			o, err := l.objectFrom(t, depth+1)
			if err != nil {
				return nil, err
			}
			arr = append(arr, o)
		}
	case tDictOpen:
		d := newDict()
		for {
			t, err := l.next()
			if err != nil {
				return nil, err
			}
			if t.kind == tDictClose {
				return d, nil
			}
			if t.kind != tName || len(d.keys) > 1<<16 {
				return nil, errPDF
			}
			v, err := l.object(depth + 1)
			if err != nil {
				return nil, err
			}
			if _, isNull := v.(pdfNull); !isNull {
				d.set(pdfName(t.s), v)
			}
		}
	case tKeyword:
		switch t.s {
		case "true":
			return pdfBool(true), nil
		case "false":
			return pdfBool(false), nil
		case "null":
			return pdfNull{}, nil
		}
	}
	return nil, errPDF
}

// --- writing ---

func writePDFObj(w *bytes.Buffer, o pdfObj) {
	switch v := o.(type) {
	case pdfName:
		w.WriteByte('/')
		for i := 0; i < len(v); i++ {
			c := v[i]
			if c < 0x21 || c > 0x7E || c == '#' || isPDFDelim(c) {
				fmt.Fprintf(w, "#%02X", c)
			} else {
				w.WriteByte(c)
			}
		}
	case pdfNum:
		w.WriteString(string(v))
	case pdfBool:
		w.WriteString(strconv.FormatBool(bool(v)))
	case pdfString:
		// Hex strings need no escaping and keep the bytes exactly.
		w.WriteByte('<')
		fmt.Fprintf(w, "%X", []byte(v))
		w.WriteByte('>')
	case pdfRef:
		fmt.Fprintf(w, "%d %d R", v.num, v.gen)
	case pdfArray:
		w.WriteByte('[')
		for i, x := range v {
			if i > 0 {
				w.WriteByte(' ')
			}
			writePDFObj(w, x)
		}
		w.WriteByte(']')
	case *pdfDict:
		w.WriteString("<<")
		for _, k := range v.keys {
			writePDFObj(w, k)
			w.WriteByte(' ')
			writePDFObj(w, v.vals[k])
		}
		w.WriteString(">>")
	default:
		w.WriteString("null")
	}
}
