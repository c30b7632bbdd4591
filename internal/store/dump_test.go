package store

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"vigil/internal/domain"
)

func TestDumpCodecRoundTrip(t *testing.T) {
	type val struct {
		kind valueKind
		i    int64
		f    float64
		b    []byte
	}
	vals := []val{
		{kind: vNull},
		{kind: vInt, i: 0}, {kind: vInt, i: -1}, {kind: vInt, i: math.MaxInt64}, {kind: vInt, i: math.MinInt64},
		{kind: vFloat, f: 0}, {kind: vFloat, f: math.Copysign(0, -1)}, {kind: vFloat, f: 60.5868}, {kind: vFloat, f: 3},
		{kind: vFloat, f: 1e300}, {kind: vFloat, f: -1e-300}, {kind: vFloat, f: math.SmallestNonzeroFloat64},
		{kind: vFloat, f: math.MaxFloat64}, {kind: vFloat, f: 0.1 + 0.2}, {kind: vFloat, f: 1e21},
		{kind: vFloat, f: math.Inf(1)}, {kind: vFloat, f: math.Inf(-1)}, {kind: vFloat, f: math.NaN()},
		{kind: vBool, i: 1}, {kind: vBool, i: 0},
		{kind: vText, b: []byte("")}, {kind: vText, b: []byte(`plain`)},
		{kind: vText, b: []byte("quote \" backslash \\ slash / newline \n tab \t cr \r nul \x00 bell \x07 del \x7f")},
		{kind: vText, b: []byte("Ääkköset, русский, العربية, 😀 emoji, \u2028 separator, \ufffd replacement")},
		{kind: vText, b: []byte{0xff, 0xfe, 'a', 0xc3}}, // not UTF-8: SQLite can hold it
		{kind: vBlob, b: []byte{}}, {kind: vBlob, b: []byte{0, 1, 2, 255}}, {kind: vBlob, b: bytes.Repeat([]byte("x"), 100_000)},
	}
	var e rowEncoder
	e.begin()
	for _, v := range vals {
		switch v.kind {
		case vNull:
			e.null()
		case vInt:
			e.int(v.i)
		case vFloat:
			e.float(v.f)
		case vBool:
			e.bool(v.i == 1)
		case vText:
			e.text(v.b)
		case vBlob:
			e.blob(v.b)
		}
	}
	e.end()
	// The encoded row must read back through the line reader too, long as it is.
	lr := newLineReader(bytes.NewReader(append(append([]byte{}, e.buf...), e.buf...)))
	var d rowDecoder
	for range 2 {
		line, err := lr.next()
		if err != nil {
			t.Fatal(err)
		}
		got, err := d.decode(line, len(vals))
		if err != nil {
			t.Fatalf("decode: %v\n%s", err, line[:min(len(line), 400)])
		}
		for i, want := range vals {
			g := got[i]
			ok := g.kind == want.kind
			switch want.kind {
			case vInt, vBool:
				ok = ok && g.i == want.i
			case vFloat:
				ok = ok && (math.Float64bits(g.f) == math.Float64bits(want.f) || (math.IsNaN(g.f) && math.IsNaN(want.f)))
			case vText, vBlob:
				ok = ok && bytes.Equal(g.b, want.b) && g.b != nil
			}
			if !ok {
				t.Errorf("value %d: got %v %d %v %q, want %v %d %v %q", i, g.kind, g.i, g.f, g.b, want.kind, want.i, want.f, want.b)
			}
		}
	}
	if _, err := lr.next(); err != io.EOF {
		t.Fatalf("after the last row: %v", err)
	}
}

func TestDumpCodecRefusesBadRows(t *testing.T) {
	for _, line := range []string{
		``, `[`, `[1`, `[1,]`, `[1,2,3]`, `[1]`, `[1,2] `, `{"a":1}`, `[1,"x]`, `[1,"\x"]`, `[1,"\u12"]`,
		`[1,"\ud800"]`, `[1,{"b":"***"}]`, `[1,{"q":"x"}]`, `[1,{"f":"1.5"}]`, `[1,99999999999999999999]`,
		`[1,-]`, `[1,1.2.3]`, `[1,tru]`, `[1,01]`, "[1,\"a\x01b\"]", `[1,{"b":"AA=="]`,
	} {
		var d rowDecoder
		if _, err := d.decode([]byte(line), 2); err == nil {
			t.Errorf("%q was accepted", line)
		}
	}
	// A last line without its newline is a cut-off stream.
	lr := newLineReader(strings.NewReader("[1,2]\n[3,"))
	if _, err := lr.next(); err != nil {
		t.Fatal(err)
	}
	if _, err := lr.next(); err == nil || !strings.Contains(err.Error(), "cut short") {
		t.Fatalf("cut-off row: %v", err)
	}
}

func FuzzDumpRowDecoder(f *testing.F) {
	f.Add([]byte(`[1,2.5,"x",{"b":"AAE="},null,true]`), 6)
	f.Add([]byte(`[{"t":"/w=="},{"f":"NaN"}]`), 2)
	f.Fuzz(func(t *testing.T, line []byte, n int) {
		if n < 0 || n > 64 {
			return
		}
		var d rowDecoder
		vals, err := d.decode(line, n)
		if err != nil {
			return
		}
		// Whatever decodes must encode and decode to the same values.
		var e rowEncoder
		e.begin()
		for _, v := range vals {
			switch v.kind {
			case vNull:
				e.null()
			case vInt:
				e.int(v.i)
			case vFloat:
				e.float(v.f)
			case vBool:
				e.bool(v.i == 1)
			case vText:
				e.text(v.b)
			case vBlob:
				e.blob(v.b)
			}
		}
		e.end()
		var d2 rowDecoder
		again, err := d2.decode(e.buf[:len(e.buf)-1], n)
		if err != nil {
			t.Fatalf("re-encoded row does not decode: %v", err)
		}
		for i := range vals {
			a, b := vals[i], again[i]
			if a.kind != b.kind || a.i != b.i || !bytes.Equal(a.b, b.b) ||
				(math.Float64bits(a.f) != math.Float64bits(b.f) && !(math.IsNaN(a.f) && math.IsNaN(b.f))) {
				t.Fatalf("value %d changed: %+v -> %+v", i, a, b)
			}
		}
	})
}

// dumpOf is a whole dump held in memory.
type dumpOf struct {
	engine string
	tables []DumpTable
	data   map[string][]byte
	rows   map[string]int64
}

func dumpStore(t *testing.T, s *Store) dumpOf {
	t.Helper()
	d := dumpOf{data: map[string][]byte{}, rows: map[string]int64{}}
	err := s.Snapshot(ctx, func(sn *Snapshot) error {
		d.engine, d.tables = sn.Engine(), sn.Tables()
		for _, tb := range d.tables {
			var buf bytes.Buffer
			n, err := sn.DumpTable(ctx, tb.Name, &buf)
			if err != nil {
				return err
			}
			d.data[tb.Name], d.rows[tb.Name] = buf.Bytes(), n
		}
		return nil
	})
	if err != nil {
		t.Fatalf("dump: %v", err)
	}
	return d
}

func (d dumpOf) restore(cfg Config) error {
	return Restore(ctx, cfg, d.tables, func(l *Loader) error {
		for _, tb := range d.tables {
			n, err := l.LoadTable(ctx, tb, bytes.NewReader(d.data[tb.Name]))
			if err != nil {
				return err
			}
			if n != d.rows[tb.Name] {
				return fmt.Errorf("table %s: loaded %d rows of %d", tb.Name, n, d.rows[tb.Name])
			}
		}
		return nil
	})
}

// normalRows decodes a table's dump into comparable lines: booleans become
// 0 and 1 as SQLite keeps them, and the rows are sorted, since the engines
// may list rows of tables without an integer key in different orders.
func normalRows(t *testing.T, tb DumpTable, data []byte) []string {
	t.Helper()
	lr := newLineReader(bytes.NewReader(data))
	var d rowDecoder
	var out []string
	for {
		line, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		vals, err := d.decode(line, len(tb.Columns))
		if err != nil {
			t.Fatalf("table %s: %v", tb.Name, err)
		}
		var e rowEncoder
		e.begin()
		for _, v := range vals {
			switch v.kind {
			case vNull:
				e.null()
			case vInt, vBool:
				e.int(v.i)
			case vFloat:
				e.float(v.f)
			case vText:
				e.text(v.b)
			case vBlob:
				e.blob(v.b)
			}
		}
		out = append(out, string(e.buf))
	}
	sort.Strings(out)
	return out
}

// sameDump compares two dumps table by table and row by row.
func sameDump(t *testing.T, a, b dumpOf) {
	t.Helper()
	names := func(d dumpOf) []string {
		var n []string
		for _, tb := range d.tables {
			n = append(n, tb.Name)
		}
		sort.Strings(n)
		return n
	}
	if na, nb := names(a), names(b); strings.Join(na, ",") != strings.Join(nb, ",") {
		t.Fatalf("tables differ:\n%v\n%v", na, nb)
	}
	for _, tb := range a.tables {
		ra, rb := normalRows(t, tb, a.data[tb.Name]), normalRows(t, tb, b.data[tb.Name])
		if len(ra) != len(rb) {
			t.Errorf("table %s: %d rows, then %d", tb.Name, len(ra), len(rb))
			continue
		}
		for i := range ra {
			if ra[i] != rb[i] {
				t.Errorf("table %s differs:\n%s\n%s", tb.Name, ra[i], rb[i])
				break
			}
		}
	}
}

// fillForDump writes a little of everything, with awkward values.
func fillForDump(t *testing.T, s *Store) {
	t.Helper()
	u := newUser("mona")
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateCrossingPoint(ctx, newCrossingPoint("vaalimaa")); err != nil {
		t.Fatal(err)
	}
	if err := s.CreatePolicyEvent(ctx, newPolicyEvent("2023-11-18", "closed", "vaalimaa")); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateFigure(ctx, newFigure("2023-12-31", "asylum_applications", 1318)); err != nil {
		t.Fatal(err)
	}
	var ts []*domain.Testimony
	for i, narrative := range []string{
		"They were taken to the forest near Vaalimaa",
		"Ääkköset, русский, العربية, 😀 — quotes \" and \\ and\nnew lines\tand tabs",
		"plain",
	} {
		tm := newTestimony(fmt.Sprintf("2023-11-%02d", 20+i), narrative)
		if err := s.CreateTestimony(ctx, tm); err != nil {
			t.Fatal(err)
		}
		ts = append(ts, tm)
	}
	in := newIncident("2023-11-20", "Pushback at Vaalimaa")
	in.Lat, in.Lon = ptr(60.58680000000001), ptr(-0.1)
	if err := s.CreateIncident(ctx, in); err != nil {
		t.Fatal(err)
	}
	in2 := newIncident("2023-12-01", "Second")
	in2.Lat, in2.Lon, in2.Group.SizeMin = nil, nil, nil
	if err := s.CreateIncident(ctx, in2); err != nil {
		t.Fatal(err)
	}
	if err := s.Link(ctx, domain.Link{TestimonyID: ts[0].ID, IncidentID: in.ID, Relation: "victim", CreatedBy: 1}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateCase(ctx, newCase("P-1", "SY", u.ID)); err != nil {
		t.Fatal(err)
	}
	if err := s.ShareTestimony(ctx, Share{TestimonyID: ts[1].ID, UserID: u.ID, SharedBy: 1, SharedAt: time.UnixMilli(1_700_000_000_123)}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateAPIToken(ctx, &APIToken{UserID: u.ID, Name: "cli", Hash: []byte{0, 1, 2, 0xff}, CreatedAt: time.UnixMilli(1)}); err != nil {
		t.Fatal(err)
	}
	for i, body := range [][]byte{{}, []byte("{\"ok\":true}\n"), {0, 0xff}} {
		if err := s.PutIdempotency(ctx, Idempotency{UserID: u.ID, Key: fmt.Sprint("k", i), RequestHash: []byte{byte(i)}, Status: 201, Body: body, CreatedAt: time.UnixMilli(5)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateSession(ctx, Session{TokenHash: []byte("session"), UserID: u.ID, CreatedAt: time.UnixMilli(1), LastSeenAt: time.UnixMilli(1), ExpiresAt: time.UnixMilli(9e12)}); err != nil {
		t.Fatal(err)
	}
	if err := s.StartMFAEnrolment(ctx, u.ID, []byte{9, 8, 7}, time.UnixMilli(77)); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendAudit(ctx, AuditEvent{ActorID: 1, Action: "login", Entity: "user", EntityID: u.ID, Detail: "x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
}

type engineTarget struct {
	name string
	cfg  func(t *testing.T) Config
	open func(t *testing.T, cfg Config) *Store
}

func dumpEngines(t *testing.T) []engineTarget {
	key := randomKey(t)
	out := []engineTarget{{
		name: "sqlite",
		cfg:  func(t *testing.T) Config { return Config{Dir: t.TempDir(), Key: key, Now: testClock()} },
	}}
	if u := os.Getenv("TEST_POSTGRES_URL"); u != "" {
		out = append(out, engineTarget{
			name: "postgres",
			cfg:  func(t *testing.T) Config { return Config{DatabaseURL: pgTestURL(t, u), Key: key, Now: testClock()} },
		})
	}
	for i := range out {
		out[i].open = func(t *testing.T, cfg Config) *Store {
			t.Helper()
			s, err := Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
	}
	return out
}

// TestDumpRestoreRoundTrip moves a database between every pair of engines
// and back, and checks that every row of every table came through exactly,
// that the audit chain still verifies, that search finds restored text and
// that new records get new ids.
func TestDumpRestoreRoundTrip(t *testing.T) {
	engines := dumpEngines(t)
	for _, from := range engines {
		for _, to := range engines {
			t.Run(from.name+"_to_"+to.name, func(t *testing.T) {
				t.Parallel()
				src := from.open(t, from.cfg(t))
				fillForDump(t, src)
				d1 := dumpStore(t, src)
				if d1.rows["testimonies"] != 3 || d1.rows["audit_log"] == 0 || d1.rows["idempotency_keys"] != 3 {
					t.Fatalf("the dump misses rows: %v", d1.rows)
				}
				for _, tb := range d1.tables {
					if tb.Name == "sessions" || tb.Name == "schema_migrations" || strings.HasSuffix(tb.Name, "_fts") {
						t.Fatalf("table %s must not be dumped", tb.Name)
					}
					for _, c := range tb.Columns {
						if c.Name == "search" {
							t.Fatalf("generated column %s.search was dumped", tb.Name)
						}
					}
				}

				cfg := to.cfg(t)
				if err := d1.restore(cfg); err != nil {
					t.Fatalf("restore: %v", err)
				}
				dst := to.open(t, cfg)
				d2 := dumpStore(t, dst)
				sameDump(t, d1, d2)

				rep, err := dst.VerifyAudit(ctx)
				if err != nil || !rep.OK() || rep.Entries == 0 {
					t.Fatalf("audit after restore: %v %+v", err, rep)
				}
				got, _, err := dst.ListTestimonies(ctx, TestimonyFilter{Query: "русский"}, domain.Page{Limit: 10})
				if err != nil || len(got) != 1 {
					t.Fatalf("search after restore: %v %d", err, len(got))
				}
				// The index follows later changes: its triggers are back.
				if _, err := dst.DB().ExecContext(ctx, dst.Rebind("UPDATE testimonies SET narrative = ? WHERE id = 3"), "a zebra crossed"); err != nil {
					t.Fatal(err)
				}
				if got, _, err := dst.ListTestimonies(ctx, TestimonyFilter{Query: "zebra"}, domain.Page{Limit: 10}); err != nil || len(got) != 1 {
					t.Fatalf("search after an update on the restored database: %v %d", err, len(got))
				}
				if got, _, err := dst.ListTestimonies(ctx, TestimonyFilter{Query: "plain"}, domain.Page{Limit: 10}); err != nil || len(got) != 0 {
					t.Fatalf("the index kept the old text: %v %d", err, len(got))
				}
				var sessions int
				if err := dst.DB().QueryRowContext(ctx, "SELECT count(*) FROM sessions").Scan(&sessions); err != nil || sessions != 0 {
					t.Fatalf("sessions after restore: %d %v", sessions, err)
				}
				if to.name == "sqlite" {
					// The rebuild's memory setting was put back.
					var n int
					if err := dst.DB().QueryRowContext(ctx, "SELECT count(*) FROM testimonies_fts_config WHERE k = 'hashsize'").Scan(&n); err != nil || n != 0 {
						t.Fatalf("hashsize left in the search index's settings: %d %v", n, err)
					}
				}
				tm := newTestimony("2024-01-01", "after the restore")
				if err := dst.CreateTestimony(ctx, tm); err != nil {
					t.Fatalf("new record after restore: %v", err)
				}
				if tm.ID != 4 {
					t.Fatalf("new testimony got id %d, want 4", tm.ID)
				}
				if rep, err := dst.VerifyAudit(ctx); err != nil || !rep.OK() {
					t.Fatalf("audit after a new write: %v %+v", err, rep)
				}

				// And back again: the third dump equals the first.
				back := from.cfg(t)
				d2 = dumpStore(t, dst) // with the new testimony
				if err := d2.restore(back); err != nil {
					t.Fatalf("restore back: %v", err)
				}
				sameDump(t, d2, dumpStore(t, from.open(t, back)))
			})
		}
	}
}

func TestRestoreRefusesATargetWithData(t *testing.T) {
	for _, e := range dumpEngines(t) {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			cfg := e.cfg(t)
			src := e.open(t, cfg)
			fillForDump(t, src)
			d := dumpStore(t, src)
			err := d.restore(cfg) // into the database it came from
			if err == nil || !(strings.Contains(err.Error(), "already holds") || strings.Contains(err.Error(), "new data directory")) {
				t.Fatalf("restore into a database with data: %v", err)
			}
			// Nothing changed.
			sameDump(t, d, dumpStore(t, src))
		})
	}
}

// TestRestoreRefusesDamagedRows checks that a row that does not fit stops
// the restore and leaves nothing behind in PostgreSQL.
func TestRestoreRefusesDamagedRows(t *testing.T) {
	for _, e := range dumpEngines(t) {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			src := e.open(t, e.cfg(t))
			fillForDump(t, src)
			d := dumpStore(t, src)
			d.data["incidents"] = append(bytes.Clone(d.data["incidents"]), "[1,2]\n"...)
			cfg := e.cfg(t)
			err := d.restore(cfg)
			if err == nil || !strings.Contains(err.Error(), "incidents") {
				t.Fatalf("restore of a damaged table: %v", err)
			}
			if cfg.DatabaseURL != "" {
				dst := e.open(t, cfg)
				var n int
				if err := dst.DB().QueryRowContext(ctx, "SELECT count(*) FROM testimonies").Scan(&n); err != nil || n != 0 {
					t.Fatalf("a failed restore left %d testimonies (%v)", n, err)
				}
				// The empty schema it left may be restored into.
				d = dumpStore(t, src)
				if err := d.restore(cfg); err != nil {
					t.Fatalf("restore after a failed one: %v", err)
				}
			}
		})
	}
}

// TestSnapshotIsConsistent writes while a dump runs: the dump sees the
// database as it was when it began, to the row, in every table.
func TestSnapshotIsConsistent(t *testing.T) {
	for _, e := range dumpEngines(t) {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			s := e.open(t, e.cfg(t))
			fillForDump(t, s)
			var before, after int
			if err := s.DB().QueryRowContext(ctx, "SELECT count(*) FROM testimonies").Scan(&before); err != nil {
				t.Fatal(err)
			}
			var d dumpOf
			err := s.Snapshot(ctx, func(sn *Snapshot) error {
				// Another writer adds testimonies (each with its counter and
				// audit entry) after the snapshot began and before any table
				// is read.
				var wg sync.WaitGroup
				var werr error
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range 20 {
						if err := s.CreateTestimony(ctx, newTestimony("2024-02-01", fmt.Sprint("written during the backup ", i))); err != nil {
							werr = err
							return
						}
					}
				}()
				wg.Wait()
				if werr != nil {
					return werr
				}
				d = dumpOf{tables: sn.Tables(), data: map[string][]byte{}, rows: map[string]int64{}}
				for _, tb := range d.tables {
					var buf bytes.Buffer
					n, err := sn.DumpTable(ctx, tb.Name, &buf)
					if err != nil {
						return err
					}
					d.data[tb.Name], d.rows[tb.Name] = buf.Bytes(), n
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.DB().QueryRowContext(ctx, "SELECT count(*) FROM testimonies").Scan(&after); err != nil {
				t.Fatal(err)
			}
			if after != before+20 || d.rows["testimonies"] != int64(before) {
				t.Fatalf("testimonies: %d before, %d after, %d in the dump", before, after, d.rows["testimonies"])
			}
			// The counter and the audit chain in the dump agree with its rows.
			if !strings.Contains(string(d.data["counters"]), fmt.Sprintf(`["testimonies","",%d]`, before)) {
				t.Fatalf("the counters in the dump do not match its rows:\n%s", d.data["counters"])
			}
			cfg := e.cfg(t)
			if err := d.restore(cfg); err != nil {
				t.Fatal(err)
			}
			if rep, err := e.open(t, cfg).VerifyAudit(ctx); err != nil || !rep.OK() {
				t.Fatalf("the audit chain of a dump taken during writes: %v %+v", err, rep)
			}
		})
	}
}

func TestPlanTablesOrdersAndSkips(t *testing.T) {
	tables := []tableInfo{
		{DumpTable: DumpTable{Name: "links"}, parents: []string{"testimonies", "incidents"}},
		{DumpTable: DumpTable{Name: "incidents"}},
		{DumpTable: DumpTable{Name: "testimonies"}},
		{DumpTable: DumpTable{Name: "users"}},
		{DumpTable: DumpTable{Name: "sessions"}, parents: []string{"users"}},
		{DumpTable: DumpTable{Name: "session_notes"}, parents: []string{"sessions"}},
		{DumpTable: DumpTable{Name: "tree"}, parents: []string{"tree"}},
		{DumpTable: DumpTable{Name: "schema_migrations"}},
	}
	keep, skipped, err := planTables(tables)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, k := range keep {
		names = append(names, k.Name)
	}
	if got := strings.Join(names, " "); got != "incidents testimonies tree users links" {
		t.Fatalf("order: %s", got)
	}
	if got := strings.Join(skipped, " "); got != "session_notes sessions" {
		t.Fatalf("skipped: %s", got)
	}
	_, _, err = planTables([]tableInfo{
		{DumpTable: DumpTable{Name: "a"}, parents: []string{"b"}},
		{DumpTable: DumpTable{Name: "b"}, parents: []string{"a"}},
	})
	if err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Fatalf("cycle: %v", err)
	}
}

func TestSQLiteRestoreRefusesAnExistingDatabase(t *testing.T) {
	dir := t.TempDir()
	s := openSQLiteAt(t, dir, randomKey(t))
	s.Close()
	before, _ := os.ReadFile(filepath.Join(dir, DBFile))
	err := Restore(ctx, Config{Dir: dir, Key: randomKey(t)}, nil, func(*Loader) error { return errors.New("must not run") })
	if err == nil || !strings.Contains(err.Error(), "new data directory") {
		t.Fatalf("restore over a database: %v", err)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, DBFile)); !bytes.Equal(before, after) {
		t.Fatal("the refused restore changed the database")
	}
}
