package evidence

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
)

// A PDF is read through its cross-reference data (tables or streams,
// following /Prev through incremental updates, with object streams), or,
// when that is broken, by scanning for "N G obj" the way repairing readers
// do. The copy is written anew: only the objects reachable from the
// document catalog, without the document information dictionary (title,
// author, creator, producer, dates), without any XMP /Metadata stream or
// /PieceInfo, without annotation authors and dates, and without earlier
// revisions (which an incremental update leaves in the file).
//
// Active content is refused, not removed: JavaScript, automatic actions
// (/OpenAction other than a page destination, /AA), launching programs,
// embedded files, forms that submit or import data, XFA and rich media.
// Encrypted PDFs are refused because they cannot be checked.

type xrefEntry struct {
	typ int // 0 free, 1 at offset, 2 in an object stream
	off int // offset, or the object stream's number
	gen int // generation, or the index in the object stream
}

type pdfDoc struct {
	b         []byte
	xref      map[int]xrefEntry
	trailers  []*pdfDict // newest first
	cache     map[int]pdfObj
	objstm    map[int]map[int]pdfObj
	resolving map[int]bool
	inflated  int
	version   string
}

// pdfDanger names are refused wherever they appear, as keys or values.
var pdfDanger = map[pdfName]string{
	"JS": "JavaScript", "JavaScript": "JavaScript", "AA": "automatic actions", "Launch": "an action that starts a program",
	"EmbeddedFile": "embedded files", "EmbeddedFiles": "embedded files", "RichMedia": "rich media (Flash or video)",
	"XFA": "an XFA form", "SubmitForm": "a form that sends data", "ImportData": "a form that imports data",
	"GoToE": "a link into an embedded file", "GoToR": "a link that opens another file", "Rendition": "a multimedia action",
}

// pdfDropped keys are removed from every dictionary of the copy.
var pdfDropped = map[pdfName]bool{"Metadata": true, "PieceInfo": true, "LastModified": true}

// Markup annotation subtypes, whose /T is the author's name.
var pdfMarkup = map[pdfName]bool{"Text": true, "FreeText": true, "Line": true, "Square": true, "Circle": true,
	"Polygon": true, "PolyLine": true, "Highlight": true, "Underline": true, "Squiggly": true, "StrikeOut": true,
	"Stamp": true, "Caret": true, "Ink": true, "Popup": true, "Redact": true, "Sound": true, "FileAttachment": true}

const maxPDFInflate = 64 << 20

var pdfVersionRE = regexp.MustCompile(`^%PDF-([12]\.[0-9])`)

func inspectPDF(b []byte, r *inspection) error {
	const label = "PDF document"
	m := pdfVersionRE.FindSubmatch(b)
	if m == nil {
		return damaged(label)
	}
	// Nothing but white space may follow the last end-of-file marker.
	eof := bytes.LastIndex(b, []byte("%%EOF"))
	if eof < 0 {
		return damaged(label)
	}
	if len(bytes.Trim(b[eof+5:], "\x00\t\n\f\r ")) > 0 {
		return trailingData(label)
	}
	d := &pdfDoc{b: b, cache: map[int]pdfObj{}, objstm: map[int]map[int]pdfObj{}, resolving: map[int]bool{}, version: string(m[1])}
	if err := d.loadXref(); err != nil || d.root() == nil {
		d.xref, d.trailers, d.cache, d.objstm = nil, nil, map[int]pdfObj{}, map[int]map[int]pdfObj{}
		if err := d.reconstruct(); err != nil {
			return damaged(label)
		}
	}
	for _, t := range d.trailers {
		if t.get("Encrypt") != nil {
			return invalid("encrypted or password-protected PDFs are not accepted because they cannot be checked; save an unprotected copy and upload that")
		}
	}
	if d.root() == nil {
		return damaged(label)
	}
	// Every object the file defines is checked for active content, not
	// only the ones the catalog reaches: another reader may reach more.
	if err := d.scanTokens(r); err != nil {
		return err
	}
	nums := make([]int, 0, len(d.xref))
	for n, e := range d.xref {
		if e.typ != 0 {
			nums = append(nums, n)
		}
	}
	sort.Ints(nums)
	for _, n := range nums {
		o, err := d.get(n)
		if err != nil {
			continue // unreadable and so unusable; the copy must not need it
		}
		if err := d.check(o, 0); err != nil {
			return err
		}
		// An object stream can hold objects no cross-reference entry
		// names; check them all.
		if s, ok := o.(*pdfStream); ok && s.dict.name("Type") == "ObjStm" {
			objs, err := d.loadObjStm(n)
			if err != nil {
				continue
			}
			for _, x := range objs {
				if err := d.check(x, 0); err != nil {
					return err
				}
			}
		}
	}
	d.report(r)
	out, err := d.rewrite()
	if err != nil {
		return damaged(label)
	}
	r.stripped = out
	return nil
}

func (d *pdfDoc) root() *pdfDict {
	for _, t := range d.trailers {
		if ref, ok := t.get("Root").(pdfRef); ok {
			if o, err := d.get(ref.num); err == nil {
				if cat, ok := o.(*pdfDict); ok {
					return cat
				}
			}
			return nil
		}
	}
	return nil
}

func (d *pdfDoc) rootRef() (pdfRef, bool) {
	for _, t := range d.trailers {
		if ref, ok := t.get("Root").(pdfRef); ok {
			return ref, true
		}
	}
	return pdfRef{}, false
}

// --- cross-reference data ---

func (d *pdfDoc) loadXref() error {
	d.xref = map[int]xrefEntry{}
	i := bytes.LastIndex(d.b, []byte("startxref"))
	if i < 0 {
		return errPDF
	}
	l := &pdfLexer{b: d.b, p: i + len("startxref")}
	t, err := l.next()
	if err != nil || t.kind != tNum {
		return errPDF
	}
	off, err := strconv.Atoi(t.s)
	if err != nil {
		return errPDF
	}
	seen := map[int]bool{}
	for off >= 0 {
		if off >= len(d.b) || seen[off] || len(seen) > 1000 {
			return errPDF
		}
		seen[off] = true
		section := map[int]xrefEntry{}
		var trailer *pdfDict
		l := &pdfLexer{b: d.b, p: off}
		l.skipSpace()
		if bytes.HasPrefix(d.b[l.p:], []byte("xref")) {
			l.p += 4
			if trailer, err = d.xrefTable(l, section); err != nil {
				return err
			}
			if so, ok := trailer.get("XRefStm").(pdfNum); ok {
				if n, ok := so.int(); ok {
					stm := map[int]xrefEntry{}
					if _, err := d.xrefStream(n, stm); err != nil {
						return err
					}
					for k, e := range stm {
						if cur, ok := section[k]; !ok || cur.typ == 0 {
							section[k] = e
						}
					}
				}
			}
		} else {
			if trailer, err = d.xrefStream(off, section); err != nil {
				return err
			}
		}
		for k, e := range section {
			if _, ok := d.xref[k]; !ok {
				d.xref[k] = e
			}
		}
		d.trailers = append(d.trailers, trailer)
		off = -1
		if p, ok := trailer.get("Prev").(pdfNum); ok {
			if n, ok := p.int(); ok {
				off = n
			}
		}
	}
	return nil
}

func (d *pdfDoc) xrefTable(l *pdfLexer, section map[int]xrefEntry) (*pdfDict, error) {
	for {
		t, err := l.next()
		if err != nil {
			return nil, err
		}
		if t.kind == tKeyword && t.s == "trailer" {
			o, err := l.object(0)
			if err != nil {
				return nil, err
			}
			dict, ok := o.(*pdfDict)
			if !ok {
				return nil, errPDF
			}
			return dict, nil
		}
		if t.kind != tNum {
			return nil, errPDF
		}
		start, _ := strconv.Atoi(t.s)
		t2, err := l.next()
		if err != nil || t2.kind != tNum {
			return nil, errPDF
		}
		count, _ := strconv.Atoi(t2.s)
		if start < 0 || count < 0 || count > len(d.b)/18 {
			return nil, errPDF
		}
		for i := 0; i < count; i++ {
			a, err1 := l.next()
			g, err2 := l.next()
			k, err3 := l.next()
			if err1 != nil || err2 != nil || err3 != nil || a.kind != tNum || g.kind != tNum || k.kind != tKeyword {
				return nil, errPDF
			}
			off, _ := strconv.Atoi(a.s)
			gen, _ := strconv.Atoi(g.s)
			switch k.s {
			case "n":
				if off > 0 {
					section[start+i] = xrefEntry{typ: 1, off: off, gen: gen}
				}
			case "f":
				section[start+i] = xrefEntry{typ: 0}
			default:
				return nil, errPDF
			}
		}
	}
}

func (d *pdfDoc) xrefStream(off int, section map[int]xrefEntry) (*pdfDict, error) {
	o, _, err := d.parseAt(off, -1)
	if err != nil {
		return nil, err
	}
	s, ok := o.(*pdfStream)
	if !ok || s.dict.name("Type") != "XRef" {
		return nil, errPDF
	}
	data, err := d.decode(s)
	if err != nil {
		return nil, err
	}
	w, ok := s.dict.get("W").(pdfArray)
	if !ok || len(w) != 3 {
		return nil, errPDF
	}
	var widths [3]int
	rowLen := 0
	for i, x := range w {
		n, ok := x.(pdfNum)
		v, ok2 := n.int()
		if !ok || !ok2 || v < 0 || v > 8 {
			return nil, errPDF
		}
		widths[i] = v
		rowLen += v
	}
	if rowLen == 0 {
		return nil, errPDF
	}
	size, _ := pdfInt(s.dict.get("Size"))
	index := []int{0, size}
	if arr, ok := s.dict.get("Index").(pdfArray); ok {
		index = index[:0]
		for _, x := range arr {
			v, ok := pdfInt(x)
			if !ok {
				return nil, errPDF
			}
			index = append(index, v)
		}
	}
	if len(index)%2 != 0 {
		return nil, errPDF
	}
	p := 0
	field := func(i int) int {
		v := 0
		for j := 0; j < widths[i]; j++ {
			v = v<<8 | int(data[p])
			p++
		}
		return v
	}
	for i := 0; i < len(index); i += 2 {
		start, count := index[i], index[i+1]
		for j := 0; j < count; j++ {
			if p+rowLen > len(data) {
				return nil, errPDF
			}
			typ := 1
			if widths[0] > 0 {
				typ = field(0)
			}
			a, b := field(1), field(2)
			switch typ {
			case 0:
				section[start+j] = xrefEntry{typ: 0}
			case 1:
				section[start+j] = xrefEntry{typ: 1, off: a, gen: b}
			case 2:
				section[start+j] = xrefEntry{typ: 2, off: a, gen: b}
			}
		}
	}
	return s.dict, nil
}

func pdfInt(o pdfObj) (int, bool) {
	n, ok := o.(pdfNum)
	if !ok {
		return 0, false
	}
	return n.int()
}

var pdfObjRE = regexp.MustCompile(`(\d{1,10})[\x00\t\n\f\r ]+(\d{1,5})[\x00\t\n\f\r ]+obj\b`)

// reconstruct finds the objects by scanning, as repairing readers do.
func (d *pdfDoc) reconstruct() error {
	d.xref = map[int]xrefEntry{}
	for _, loc := range pdfObjRE.FindAllSubmatchIndex(d.b, -1) {
		if loc[0] > 0 && !isPDFSpace(d.b[loc[0]-1]) && !isPDFDelim(d.b[loc[0]-1]) {
			continue
		}
		num, _ := strconv.Atoi(string(d.b[loc[2]:loc[3]]))
		gen, _ := strconv.Atoi(string(d.b[loc[4]:loc[5]]))
		d.xref[num] = xrefEntry{typ: 1, off: loc[0], gen: gen}
	}
	if len(d.xref) == 0 {
		return errPDF
	}
	// Objects inside object streams, and the trailers.
	nums := make([]int, 0, len(d.xref))
	for n := range d.xref {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	for _, n := range nums {
		o, err := d.get(n)
		if err != nil {
			continue
		}
		s, ok := o.(*pdfStream)
		if !ok {
			continue
		}
		switch s.dict.name("Type") {
		case "ObjStm":
			objs, err := d.loadObjStm(n)
			if err != nil {
				continue
			}
			for k := range objs {
				if _, ok := d.xref[k]; !ok {
					d.xref[k] = xrefEntry{typ: 2, off: n}
				}
			}
		case "XRef":
			d.trailers = append([]*pdfDict{s.dict}, d.trailers...)
		}
	}
	for _, i := range allIndex(d.b, []byte("trailer")) {
		l := &pdfLexer{b: d.b, p: i + len("trailer")}
		if o, err := l.object(0); err == nil {
			if t, ok := o.(*pdfDict); ok {
				d.trailers = append([]*pdfDict{t}, d.trailers...)
			}
		}
	}
	if _, ok := d.rootRef(); !ok {
		// No trailer names the catalog: find it.
		for _, n := range nums {
			if o, err := d.get(n); err == nil {
				if dict, ok := o.(*pdfDict); ok && dict.name("Type") == "Catalog" {
					t := newDict()
					t.set("Root", pdfRef{n, d.xref[n].gen})
					d.trailers = append(d.trailers, t)
					break
				}
			}
		}
	}
	return nil
}

func allIndex(b, sep []byte) []int {
	var out []int
	for p := 0; ; {
		i := bytes.Index(b[p:], sep)
		if i < 0 || len(out) > 1000 {
			return out
		}
		out = append(out, p+i)
		p += i + len(sep)
	}
}

// --- objects ---

// parseAt parses "num gen obj … endobj" at off; want is the expected
// object number, or -1.
func (d *pdfDoc) parseAt(off, want int) (pdfObj, int, error) {
	l := &pdfLexer{b: d.b, p: off}
	t1, e1 := l.next()
	t2, e2 := l.next()
	t3, e3 := l.next()
	if e1 != nil || e2 != nil || e3 != nil || t1.kind != tNum || t2.kind != tNum || t3.kind != tKeyword || t3.s != "obj" {
		return nil, 0, errPDF
	}
	num, _ := strconv.Atoi(t1.s)
	if want >= 0 && num != want {
		return nil, 0, errPDF
	}
	o, err := l.object(0)
	if err != nil {
		return nil, 0, err
	}
	dict, isDict := o.(*pdfDict)
	save := l.p
	t, err := l.next()
	if err != nil || !isDict || t.kind != tKeyword || t.s != "stream" {
		l.p = save
		return o, num, nil
	}
	// The data starts after the end of line that follows "stream".
	p := l.p
	if p < len(d.b) && d.b[p] == '\r' {
		p++
	}
	if p < len(d.b) && d.b[p] == '\n' {
		p++
	}
	n := -1
	switch v := dict.get("Length").(type) {
	case pdfNum:
		n, _ = v.int()
	case pdfRef:
		if !d.resolving[v.num] {
			if lo, err := d.get(v.num); err == nil {
				if ln, ok := lo.(pdfNum); ok {
					n, _ = ln.int()
				}
			}
		}
	}
	var data []byte
	if n >= 0 && p+n <= len(d.b) && endstreamAt(d.b, p+n) {
		data = d.b[p : p+n]
	} else {
		// A wrong or missing length: the data ends before "endstream".
		i := bytes.Index(d.b[p:], []byte("endstream"))
		if i < 0 {
			return nil, 0, errPDF
		}
		data = bytes.TrimSuffix(bytes.TrimSuffix(d.b[p:p+i], []byte("\n")), []byte("\r"))
	}
	return &pdfStream{dict: dict, data: data}, num, nil
}

func endstreamAt(b []byte, p int) bool {
	for p < len(b) && isPDFSpace(b[p]) {
		p++
	}
	return bytes.HasPrefix(b[p:], []byte("endstream"))
}

func (d *pdfDoc) get(num int) (pdfObj, error) {
	if o, ok := d.cache[num]; ok {
		return o, nil
	}
	e, ok := d.xref[num]
	if !ok || e.typ == 0 {
		return pdfNull{}, nil
	}
	if d.resolving[num] || len(d.resolving) > 32 {
		return nil, errPDF
	}
	d.resolving[num] = true
	defer delete(d.resolving, num)
	var (
		o   pdfObj
		err error
	)
	switch e.typ {
	case 1:
		o, _, err = d.parseAt(e.off, num)
	case 2:
		var objs map[int]pdfObj
		objs, err = d.loadObjStm(e.off)
		if err == nil {
			var found bool
			if o, found = objs[num]; !found {
				o = pdfNull{}
			}
		}
	}
	if err != nil {
		return nil, err
	}
	d.cache[num] = o
	return o, nil
}

func (d *pdfDoc) resolve(o pdfObj) pdfObj {
	for i := 0; i < 8; i++ {
		ref, ok := o.(pdfRef)
		if !ok {
			return o
		}
		var err error
		if o, err = d.get(ref.num); err != nil {
			return pdfNull{}
		}
	}
	return pdfNull{}
}

func (d *pdfDoc) loadObjStm(num int) (map[int]pdfObj, error) {
	if objs, ok := d.objstm[num]; ok {
		return objs, nil
	}
	e := d.xref[num]
	if e.typ != 1 {
		return nil, errPDF
	}
	o, _, err := d.parseAt(e.off, num)
	if err != nil {
		return nil, err
	}
	s, ok := o.(*pdfStream)
	if !ok || s.dict.name("Type") != "ObjStm" {
		return nil, errPDF
	}
	data, err := d.decode(s)
	if err != nil {
		return nil, err
	}
	n, ok1 := pdfInt(s.dict.get("N"))
	first, ok2 := pdfInt(s.dict.get("First"))
	if !ok1 || !ok2 || n < 0 || first < 0 || first > len(data) || n > len(data) {
		return nil, errPDF
	}
	l := &pdfLexer{b: data}
	objs := map[int]pdfObj{}
	type pair struct{ num, off int }
	var pairs []pair
	for i := 0; i < n; i++ {
		a, err1 := l.next()
		b, err2 := l.next()
		if err1 != nil || err2 != nil || a.kind != tNum || b.kind != tNum {
			return nil, errPDF
		}
		on, _ := strconv.Atoi(a.s)
		oo, _ := strconv.Atoi(b.s)
		pairs = append(pairs, pair{on, oo})
	}
	for _, p := range pairs {
		if first+p.off >= len(data) || p.off < 0 {
			return nil, errPDF
		}
		l := &pdfLexer{b: data, p: first + p.off}
		o, err := l.object(0)
		if err != nil {
			return nil, err
		}
		objs[p.num] = o
	}
	d.objstm[num] = objs
	return objs, nil
}

// decode undoes the stream's filters; only FlateDecode (with PNG
// predictors) is needed for cross-reference data, object streams and
// metadata.
func (d *pdfDoc) decode(s *pdfStream) ([]byte, error) {
	var filters []pdfName
	switch f := d.resolve(s.dict.get("Filter")).(type) {
	case pdfName:
		filters = []pdfName{f}
	case pdfArray:
		for _, x := range f {
			n, ok := x.(pdfName)
			if !ok {
				return nil, errPDF
			}
			filters = append(filters, n)
		}
	}
	data := s.data
	for _, f := range filters {
		if f != "FlateDecode" && f != "Fl" {
			return nil, errPDF
		}
		zr, err := zlib.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, errPDF
		}
		out, err := io.ReadAll(io.LimitReader(zr, int64(maxPDFInflate-d.inflated+1)))
		if err != nil && len(out) == 0 {
			return nil, errPDF
		}
		d.inflated += len(out)
		if d.inflated > maxPDFInflate {
			return nil, errPDF
		}
		data = out
	}
	if len(filters) == 0 {
		return data, nil
	}
	parms, _ := d.resolve(s.dict.get("DecodeParms")).(*pdfDict)
	if arr, ok := s.dict.get("DecodeParms").(pdfArray); ok && len(arr) > 0 {
		parms, _ = d.resolve(arr[0]).(*pdfDict)
	}
	pred, _ := pdfInt(parms.get("Predictor"))
	if pred < 10 {
		if pred > 1 {
			return nil, errPDF
		}
		return data, nil
	}
	cols, ok := pdfInt(parms.get("Columns"))
	if !ok {
		cols = 1
	}
	colors, ok := pdfInt(parms.get("Colors"))
	if !ok {
		colors = 1
	}
	bpc, ok := pdfInt(parms.get("BitsPerComponent"))
	if !ok {
		bpc = 8
	}
	return pngUnpredict(data, cols, colors, bpc)
}

func pngUnpredict(data []byte, cols, colors, bpc int) ([]byte, error) {
	if cols <= 0 || colors <= 0 || bpc <= 0 || cols > 1<<20 || colors > 32 || bpc > 16 {
		return nil, errPDF
	}
	row := (cols*colors*bpc + 7) / 8
	bpp := max(1, colors*bpc/8)
	var out []byte
	prev := make([]byte, row)
	for p := 0; p+1+row <= len(data); p += 1 + row {
		ft := data[p]
		cur := append([]byte{}, data[p+1:p+1+row]...)
		for i := range cur {
			var a, b, c byte
			if i >= bpp {
				a, c = cur[i-bpp], prev[i-bpp]
			}
			b = prev[i]
			switch ft {
			case 0:
			case 1:
				cur[i] += a
			case 2:
				cur[i] += b
			case 3:
				cur[i] += byte((int(a) + int(b)) / 2)
			case 4:
				cur[i] += paeth(a, b, c)
			default:
				return nil, errPDF
			}
		}
		out = append(out, cur...)
		prev = cur
	}
	return out, nil
}

func paeth(a, b, c byte) byte {
	p := int(a) + int(b) - int(c)
	pa, pb, pc := abs(p-int(a)), abs(p-int(b)), abs(p-int(c))
	switch {
	case pa <= pb && pa <= pc:
		return a
	case pb <= pc:
		return b
	}
	return c
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// --- checks ---

// check refuses active content anywhere in an object.
func (d *pdfDoc) check(o pdfObj, depth int) error {
	if depth > pdfMaxDepth {
		return errPDFDepth
	}
	switch v := o.(type) {
	case pdfName:
		if what, bad := pdfDanger[v]; bad {
			return pdfActive(what)
		}
	case pdfArray:
		for _, x := range v {
			if err := d.check(x, depth+1); err != nil {
				return err
			}
		}
	case *pdfDict:
		for _, k := range v.keys {
			if what, bad := pdfDanger[k]; bad {
				return pdfActive(what)
			}
			if k == "OpenAction" && !d.openActionOK(v.vals[k]) {
				return pdfActive("an action that runs when the document is opened")
			}
			if err := d.check(v.vals[k], depth+1); err != nil {
				return err
			}
		}
	case *pdfStream:
		return d.check(v.dict, depth+1)
	}
	return nil
}

// openActionOK accepts what only moves the view when the document opens: a
// destination, or a go-to action to one. The copy drops it either way.
func (d *pdfDoc) openActionOK(v pdfObj) bool {
	switch x := d.resolve(v).(type) {
	case pdfArray:
		return true
	case *pdfDict:
		if x.name("S") != "GoTo" || x.get("Next") != nil {
			return false
		}
		switch d.resolve(x.get("D")).(type) {
		case pdfArray, pdfName, pdfString:
			return true
		}
	}
	return false
}

var errPDFDepth = invalid("the PDF document is nested too deeply to check; it was not stored")

func pdfActive(what string) error {
	return invalid("the PDF document contains %s; active content can run code when the file is opened, so it was not stored. Print it to a new PDF (\"Save as PDF\") and upload that", what)
}

// scanPDFTokens lexes the whole file outside stream data, checking every
// name for active content and collecting the text for the markup check.
// It sees objects that no cross-reference entry names.
func (d *pdfDoc) scanTokens(r *inspection) error {
	b := d.b
	l := &pdfLexer{b: b}
	regionStart := 0
	for steps := 0; steps < 50_000_000; steps++ {
		t, err := l.next()
		if err != nil {
			l.p++ // a stray delimiter or broken string: keep scanning
			continue
		}
		switch {
		case t.kind == tEOF:
			r.textRegion(b[regionStart:])
			return nil
		case t.kind == tName:
			if what, bad := pdfDanger[pdfName(t.s)]; bad {
				return pdfActive(what)
			}
			if t.s == "OpenAction" {
				save := l.p
				if o, err := l.object(0); err != nil || !d.openActionOK(o) {
					return pdfActive("an action that runs when the document is opened")
				}
				l.p = save
			}
		case t.kind == tKeyword && t.s == "stream":
			r.textRegion(b[regionStart:l.p])
			i := bytes.Index(b[l.p:], []byte("endstream"))
			if i < 0 {
				return nil
			}
			l.p += i + len("endstream")
			regionStart = l.p
		}
	}
	return nil
}

// --- metadata ---

func (d *pdfDoc) report(r *inspection) {
	m := &r.meta
	seen := map[pdfRef]bool{}
	for _, t := range d.trailers {
		var info *pdfDict
		switch v := t.get("Info").(type) {
		case pdfRef:
			if seen[v] {
				continue
			}
			seen[v] = true
			info, _ = d.resolve(v).(*pdfDict)
		case *pdfDict:
			info = v
		}
		for _, k := range info.keysOrNil() {
			v := d.resolve(info.vals[k])
			var s string
			switch x := v.(type) {
			case pdfString:
				s = pdfText(x)
				if k == "CreationDate" || k == "ModDate" {
					s = pdfDate(s)
				}
			case pdfName:
				s = string(x)
			case pdfNum:
				s = string(x)
			case pdfBool:
				s = strconv.FormatBool(bool(x))
			default:
				continue
			}
			kind := kindOf(string(k))
			if k == "Creator" {
				kind = "software" // the program that made the original
			}
			m.addKind("PDF", string(k), s, kind)
		}
	}
	// XMP of the document and of any other object that carries one.
	nums := make([]int, 0, len(d.xref))
	for n, e := range d.xref {
		if e.typ != 0 {
			nums = append(nums, n)
		}
	}
	sort.Ints(nums)
	for _, n := range nums {
		o, err := d.get(n)
		if err != nil {
			continue
		}
		switch v := o.(type) {
		case *pdfStream:
			if v.dict.name("Type") == "Metadata" || v.dict.name("Subtype") == "XML" {
				if data, err := d.decode(v); err == nil {
					r.textRegion(data)
					parseXMP(data, "XMP", m)
				} else {
					m.addKind("PDF", "XMP metadata", fmt.Sprintf("unreadable (%d bytes)", len(v.data)), "other")
				}
			}
		case *pdfDict:
			if pdfMarkup[v.name("Subtype")] {
				if s, ok := d.resolve(v.get("T")).(pdfString); ok {
					m.addKind("PDF", "Annotation author", pdfText(s), "person")
				}
			}
			if v.get("PieceInfo") != nil {
				m.addKind("PDF", "PieceInfo", "application data", "software")
			}
		}
	}
}

func (d *pdfDict) keysOrNil() []pdfName {
	if d == nil {
		return nil
	}
	return d.keys
}

// pdfDocEncoding differs from Latin-1 only in these code points.
var pdfDocEncoding = map[byte]rune{
	0x80: '•', 0x81: '†', 0x82: '‡', 0x83: '…', 0x84: '—', 0x85: '–', 0x86: 'ƒ', 0x87: '⁄', 0x88: '‹', 0x89: '›',
	0x8A: '−', 0x8B: '‰', 0x8C: '„', 0x8D: '“', 0x8E: '”', 0x8F: '‘', 0x90: '’', 0x91: '‚', 0x92: '™', 0x93: 'ﬁ',
	0x94: 'ﬂ', 0x95: 'Ł', 0x96: 'Œ', 0x97: 'Š', 0x98: 'Ÿ', 0x99: 'Ž', 0x9A: 'ı', 0x9B: 'ł', 0x9C: 'œ', 0x9D: 'š',
	0x9E: 'ž', 0xA0: '€',
}

// pdfText decodes a PDF text string: UTF-16BE or UTF-8 with a byte-order
// mark, else PDFDocEncoding.
func pdfText(b []byte) string {
	switch {
	case len(b) >= 2 && b[0] == 0xFE && b[1] == 0xFF:
		u := make([]uint16, 0, len(b)/2)
		for i := 2; i+1 < len(b); i += 2 {
			u = append(u, uint16(b[i])<<8|uint16(b[i+1]))
		}
		return string(utf16.Decode(u))
	case len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF:
		return string(b[3:])
	}
	r := make([]rune, len(b))
	for i, c := range b {
		if x, ok := pdfDocEncoding[c]; ok {
			r[i] = x
		} else {
			r[i] = rune(c)
		}
	}
	return string(r)
}

// pdfDate renders "D:20240131123456+02'00'" as "2024-01-31 12:34:56 +02:00".
func pdfDate(s string) string {
	raw := s
	s = strings.TrimPrefix(s, "D:")
	if len(s) < 4 {
		return raw
	}
	parts := []string{s[:4]}
	seps := []string{"-", "-", " ", ":", ":"}
	rest := s[4:]
	for i := 0; i < 5 && len(rest) >= 2; i++ {
		parts = append(parts, seps[i], rest[:2])
		rest = rest[2:]
	}
	out := strings.Join(parts, "")
	if rest != "" {
		z := strings.ReplaceAll(strings.TrimSuffix(rest, "'"), "'", ":")
		if z == "Z" || z == "Z00:00" {
			z = "UTC"
		}
		out += " " + z
	}
	return out
}

// --- the copy ---

func (d *pdfDoc) rewrite() ([]byte, error) {
	rootRef, ok := d.rootRef()
	if !ok {
		return nil, errPDF
	}
	type outObj struct {
		gen int
		obj pdfObj
	}
	objs := map[int]outObj{}
	queue := []pdfRef{rootRef}
	var clean func(o pdfObj, depth int) (pdfObj, error)
	clean = func(o pdfObj, depth int) (pdfObj, error) {
		if depth > pdfMaxDepth {
			return nil, errPDF
		}
		switch v := o.(type) {
		case pdfRef:
			if _, done := objs[v.num]; !done {
				queue = append(queue, v)
			}
			return v, nil
		case pdfArray:
			out := make(pdfArray, len(v))
			for i, x := range v {
				c, err := clean(x, depth+1)
				if err != nil {
					return nil, err
				}
				out[i] = c
			}
			return out, nil
		case *pdfDict:
			out := newDict()
			markup := pdfMarkup[v.name("Subtype")]
			for _, k := range v.keys {
				if pdfDropped[k] || k == "OpenAction" || (markup && (k == "T" || k == "M" || k == "CreationDate")) {
					continue
				}
				c, err := clean(v.vals[k], depth+1)
				if err != nil {
					return nil, err
				}
				out.set(k, c)
			}
			return out, nil
		case *pdfStream:
			dict := newDict()
			for _, k := range v.dict.keys {
				if k == "Length" || pdfDropped[k] {
					continue
				}
				c, err := clean(v.dict.vals[k], depth+1)
				if err != nil {
					return nil, err
				}
				dict.set(k, c)
			}
			dict.set("Length", pdfNum(strconv.Itoa(len(v.data))))
			return &pdfStream{dict: dict, data: v.data}, nil
		}
		return o, nil
	}
	for len(queue) > 0 {
		ref := queue[0]
		queue = queue[1:]
		if _, done := objs[ref.num]; done {
			continue
		}
		o, err := d.get(ref.num)
		if err != nil {
			return nil, err
		}
		objs[ref.num] = outObj{gen: ref.gen} // placeholder, breaks cycles
		c, err := clean(o, 0)
		if err != nil {
			return nil, err
		}
		objs[ref.num] = outObj{gen: ref.gen, obj: c}
		if len(objs) > 10_000_000 {
			return nil, errPDF
		}
	}
	nums := make([]int, 0, len(objs))
	size := 0
	for n := range objs {
		nums = append(nums, n)
		size = max(size, n+1)
	}
	sort.Ints(nums)
	var w bytes.Buffer
	fmt.Fprintf(&w, "%%PDF-%s\n%%\xE2\xE3\xCF\xD3\n", d.version)
	offsets := make(map[int]int, len(nums))
	for _, n := range nums {
		o := objs[n]
		offsets[n] = w.Len()
		fmt.Fprintf(&w, "%d %d obj\n", n, o.gen)
		if s, ok := o.obj.(*pdfStream); ok {
			writePDFObj(&w, s.dict)
			w.WriteString("\nstream\n")
			w.Write(s.data)
			w.WriteString("\nendstream")
		} else {
			writePDFObj(&w, o.obj)
		}
		w.WriteString("\nendobj\n")
	}
	xref := w.Len()
	fmt.Fprintf(&w, "xref\n0 %d\n", size)
	for n := 0; n < size; n++ {
		if off, ok := offsets[n]; ok {
			fmt.Fprintf(&w, "%010d %05d n \n", off, objs[n].gen)
		} else if n == 0 {
			w.WriteString("0000000000 65535 f \n")
		} else {
			w.WriteString("0000000000 00000 f \n")
		}
	}
	fmt.Fprintf(&w, "trailer\n<</Size %d/Root %d %d R>>\nstartxref\n%d\n%%%%EOF\n", size, rootRef.num, rootRef.gen, xref)
	return w.Bytes(), nil
}
