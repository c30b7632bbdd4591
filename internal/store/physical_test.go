package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"vigil/internal/domain"
)

// copyOf copies s as a file stream into memory.
func copyOf(t *testing.T, s *Store, key []byte, o CopyOptions) (*SQLiteCopy, []byte) {
	t.Helper()
	var buf bytes.Buffer
	cp, err := s.CopySQLite(ctx, key, &buf, o)
	if err != nil {
		t.Fatalf("copy: %v", err)
	}
	return cp, buf.Bytes()
}

// restoreCopy writes a file stream out as the database of a new data
// directory, as a restore does, and opens it.
func restoreCopy(t *testing.T, stream []byte, key []byte) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, DBFile)
	size, err := WriteSQLiteFile(path, bytes.NewReader(stream))
	if err != nil {
		t.Fatalf("write the file: %v", err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() != size || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the written file: %v %v", fi, err)
	}
	if _, err := EmptySkippedTables(ctx, path, key); err != nil {
		t.Fatalf("empty the skipped tables: %v", err)
	}
	for _, suffix := range []string{"-wal", "-journal", "-shm"} {
		if _, err := os.Stat(path + suffix); err == nil {
			t.Fatalf("%s left beside the file", suffix)
		}
	}
	return openSQLiteAt(t, dir, key), dir
}

// TestCopySQLiteRoundTrip copies a database as a file stream, as the file
// is and page by page, and writes it out again: every row of every table
// comes back, the audit chain verifies, search works, sessions are gone
// and new records get new ids.
func TestCopySQLiteRoundTrip(t *testing.T) {
	for _, paged := range []bool{false, true} {
		t.Run(map[bool]string{false: "as-is", true: "paged"}[paged], func(t *testing.T) { testCopyRoundTrip(t, paged) })
	}
}

func testCopyRoundTrip(t *testing.T, paged bool) {
	key := randomKey(t)
	src := openSQLiteAt(t, t.TempDir(), key)
	fillForDump(t, src)
	var progress []int
	cp, stream := copyOf(t, src, key, CopyOptions{StepPages: 5, Paged: paged, Progress: func(copied, total int) { progress = append(progress, copied) }})
	if cp.Pages < 10 || len(progress) < 2 || progress[len(progress)-1] != cp.Pages || cp.Size != int64(cp.Pages)*4096 || cp.AsIs == paged {
		t.Fatalf("copy of %d pages, %d bytes, as is %v, progress %v", cp.Pages, cp.Size, cp.AsIs, progress)
	}
	if len(cp.Migrations) == 0 || strings.Join(cp.Skipped, " ") != "pending_logins sessions" {
		t.Fatalf("copy: migrations %v, skipped %v", cp.Migrations, cp.Skipped)
	}
	// The stream holds the file encrypted: no text of the database shows.
	for _, s := range []string{"Vaalimaa", "SQLite format", "testimonies"} {
		if bytes.Contains(stream, []byte(s)) {
			t.Fatalf("the stream holds %q in the clear", s)
		}
	}
	dst, _ := restoreCopy(t, stream, key)
	sameDump(t, dumpStore(t, src), dumpStore(t, dst))
	if err := dst.QuickCheck(ctx); err != nil {
		t.Fatal(err)
	}
	rep, err := dst.VerifyAudit(ctx)
	if err != nil || !rep.OK() || rep.Entries == 0 {
		t.Fatalf("audit of the copy: %v %+v", err, rep)
	}
	if got, _, err := dst.ListTestimonies(ctx, TestimonyFilter{Query: "русский"}, domain.Page{Limit: 10}); err != nil || len(got) != 1 {
		t.Fatalf("search in the copy: %v %d", err, len(got))
	}
	for _, table := range []string{"sessions", "pending_logins"} {
		var n int
		if err := src.DB().QueryRowContext(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil || (table == "sessions" && n == 0) {
			t.Fatalf("%s of the original: %d %v", table, n, err)
		}
		if err := dst.DB().QueryRowContext(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil || n != 0 {
			t.Fatalf("%s of the copy: %d %v", table, n, err)
		}
	}
	tm := newTestimony("2024-01-01", "after the copy")
	if err := dst.CreateTestimony(ctx, tm); err != nil || tm.ID != 4 {
		t.Fatalf("new record in the copy: id %d, %v", tm.ID, err)
	}
	// A copy page by page can be made with another key, and then does
	// not open with this one; a copy as it is cannot.
	other := randomKey(t)
	var buf bytes.Buffer
	if _, err := src.CopySQLite(ctx, other, &buf, CopyOptions{}); err == nil || !strings.Contains(err.Error(), "not the database's") {
		t.Fatalf("a copy as it is under another key: %v", err)
	}
	buf.Reset()
	if _, err := src.CopySQLite(ctx, other, &buf, CopyOptions{Paged: true}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), DBFile)
	if _, err := WriteSQLiteFile(path, &buf); err != nil {
		t.Fatal(err)
	}
	if _, err := EmptySkippedTables(ctx, path, key); err == nil || !strings.Contains(err.Error(), "wrong key") {
		t.Fatalf("a copy under another key opened with this one: %v", err)
	}
}

// TestCopySQLiteIsASnapshot writes to the database between the steps of a
// copy, and checkpoints it: the copy shows the database as it was when the
// copy began, in every table, and the writes are all in the original.
func TestCopySQLiteIsASnapshot(t *testing.T) {
	for _, paged := range []bool{false, true} {
		t.Run(map[bool]string{false: "as-is", true: "paged"}[paged], func(t *testing.T) { testCopySnapshot(t, paged) })
	}
}

func testCopySnapshot(t *testing.T, paged bool) {
	key := randomKey(t)
	src := openSQLiteAt(t, t.TempDir(), key)
	fillForDump(t, src)
	var before, after int
	if err := src.DB().QueryRowContext(ctx, "SELECT count(*) FROM testimonies").Scan(&before); err != nil {
		t.Fatal(err)
	}
	steps, written := 0, 0
	cp, stream := copyOf(t, src, key, CopyOptions{StepPages: 3, Paged: paged, Progress: func(copied, total int) {
		steps++
		if copied == total {
			return
		}
		// Another connection writes: rows, counters and audit entries,
		// and big narratives that move pages around.
		for i := range 3 {
			tm := newTestimony("2024-02-01", strings.Repeat(fmt.Sprint("written during the copy ", steps, i, " "), 300))
			if err := src.CreateTestimony(ctx, tm); err != nil {
				t.Error(err)
				return
			}
			written++
		}
		// A checkpoint tries to move the new writes into the file that
		// is being copied.
		var busy, log, done int
		if err := src.DB().QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &log, &done); err != nil {
			t.Error(err)
		}
	}})
	if steps < 3 || written == 0 || cp.AsIs == paged {
		t.Fatalf("the copy took %d steps, %d writes in between (as is: %v)", steps, written, cp.AsIs)
	}
	if err := src.DB().QueryRowContext(ctx, "SELECT count(*) FROM testimonies").Scan(&after); err != nil || after != before+written {
		t.Fatalf("the original has %d testimonies, want %d (%v)", after, before+written, err)
	}
	dst, _ := restoreCopy(t, stream, key)
	if err := dst.QuickCheck(ctx); err != nil {
		t.Fatal(err)
	}
	var n, counter int
	if err := dst.DB().QueryRowContext(ctx, "SELECT count(*) FROM testimonies").Scan(&n); err != nil || n != before {
		t.Fatalf("the copy has %d testimonies, want %d (%v)", n, before, err)
	}
	if err := dst.DB().QueryRowContext(ctx, "SELECT n FROM counters WHERE kind = 'testimonies' AND key = ''").Scan(&counter); err != nil || counter != before {
		t.Fatalf("the copy's counter says %d, want %d (%v)", counter, before, err)
	}
	if rep, err := dst.VerifyAudit(ctx); err != nil || !rep.OK() {
		t.Fatalf("the audit chain of a copy taken during writes: %v %+v", err, rep)
	}
}

// TestCopySQLiteFallsBack holds the checkpoint back with an older reader:
// the file then does not hold the copy's snapshot, and the copy is made
// page by page.
func TestCopySQLiteFallsBack(t *testing.T) {
	key := randomKey(t)
	dir := t.TempDir()
	src := openSQLiteAt(t, dir, key)
	fillForDump(t, src)
	other := openSQLiteAt(t, dir, key)
	c, err := other.r.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tx, err := c.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var old int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM testimonies").Scan(&old); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if err := src.CreateTestimony(ctx, newTestimony("2024-02-01", fmt.Sprint("after the old reader began ", i))); err != nil {
			t.Fatal(err)
		}
	}
	cp, stream := copyOf(t, src, key, CopyOptions{})
	if cp.AsIs {
		t.Fatal("the file was copied as it is while a reader held the checkpoint back")
	}
	dst, _ := restoreCopy(t, stream, key)
	var n int
	if err := dst.DB().QueryRowContext(ctx, "SELECT count(*) FROM testimonies").Scan(&n); err != nil || n != old+5 {
		t.Fatalf("the copy has %d testimonies, want %d (%v)", n, old+5, err)
	}
	if rep, err := dst.VerifyAudit(ctx); err != nil || !rep.OK() {
		t.Fatalf("audit of the copy: %v %+v", err, rep)
	}
}

func TestCopySQLiteStopsOnAWriteError(t *testing.T) {
	key := randomKey(t)
	src := openSQLiteAt(t, t.TempDir(), key)
	fillForDump(t, src)
	full := errors.New("no space left on the backup disk")
	for _, paged := range []bool{false, true} {
		_, err := src.CopySQLite(ctx, key, &failingWriter{after: 10_000, err: full}, CopyOptions{Paged: paged})
		if !errors.Is(err, full) {
			t.Fatalf("copy to a failing writer (paged %v): %v", paged, err)
		}
	}
	// Begin can stop the copy before anything is written.
	var buf bytes.Buffer
	stop := errors.New("stop")
	if _, err := src.CopySQLite(ctx, key, &buf, CopyOptions{Begin: func([]Migration, []string) error { return stop }}); !errors.Is(err, stop) || buf.Len() != 0 {
		t.Fatalf("copy stopped by Begin: %v, %d bytes", err, buf.Len())
	}
	// The store works on: the read transaction was ended.
	if err := src.CreateTestimony(ctx, newTestimony("2024-03-01", "after the failed copies")); err != nil {
		t.Fatal(err)
	}
	if _, err := src.CopySQLite(ctx, key[:5], &buf, CopyOptions{}); err == nil {
		t.Fatal("a short key was accepted")
	}
}

type failingWriter struct {
	n, after int
	err      error
}

func (f *failingWriter) Write(p []byte) (int, error) {
	if f.n+len(p) > f.after {
		return 0, f.err
	}
	f.n += len(p)
	return len(p), nil
}

// fileStream builds a file stream by hand.
type fileStream struct{ b []byte }

func (s *fileStream) w(off int64, data []byte) *fileStream {
	s.b = append(s.b, 'W')
	s.b = binary.AppendUvarint(s.b, uint64(off))
	s.b = binary.AppendUvarint(s.b, uint64(len(data)))
	s.b = append(s.b, data...)
	return s
}

func (s *fileStream) rec(kind byte, v uint64) *fileStream {
	s.b = append(s.b, kind)
	s.b = binary.AppendUvarint(s.b, v)
	return s
}

func TestFileStream(t *testing.T) {
	page := func(c byte) []byte { return bytes.Repeat([]byte{c}, 4096) }
	// Out of order, overwritten, truncated: the last word counts.
	good := (&fileStream{}).w(4096, page('b')).w(8192, page('c')).w(0, page('a')).w(12288, page('x')).rec('T', 12288).w(8192, page('C')).rec('E', 12288).b
	path := filepath.Join(t.TempDir(), "f")
	size, err := WriteSQLiteFile(path, bytes.NewReader(good))
	if err != nil || size != 12288 {
		t.Fatalf("write: %d %v", size, err)
	}
	got, _ := os.ReadFile(path)
	if want := append(append(page('a'), page('b')...), page('C')...); !bytes.Equal(got, want) {
		t.Fatalf("the file does not hold what the stream says (%d bytes)", len(got))
	}
	if _, err := WriteSQLiteFile(path, bytes.NewReader(good)); err == nil {
		t.Fatal("an existing file was overwritten")
	}
	// Writes that do not suit O_DIRECT (odd offsets and lengths) mixed
	// with ones that do land where they belong.
	mixed := (&fileStream{}).w(0, page('a')).w(4096+10, []byte("odd")).w(8192, page('c')).w(5, []byte("xy")).rec('E', 12288).b
	path = filepath.Join(t.TempDir(), "f")
	if size, err := WriteSQLiteFile(path, bytes.NewReader(mixed)); err != nil || size != 12288 {
		t.Fatalf("write: %d %v", size, err)
	}
	want := append(append(page('a'), make([]byte, 4096)...), page('c')...)
	copy(want[4096+10:], "odd")
	copy(want[5:], "xy")
	if got, _ := os.ReadFile(path); !bytes.Equal(got, want) {
		t.Fatal("mixed writes came out wrong")
	}
	if n, err := CheckFileStream(bytes.NewReader(good)); err != nil || n != 12288 {
		t.Fatalf("check: %d %v", n, err)
	}
	for _, tc := range []struct {
		name   string
		stream []byte
	}{
		{"empty", nil},
		{"no end", good[:len(good)-3]},
		{"cut in a write", good[:4096+10]},
		{"cut in a header", good[:1]},
		{"data after the end", append(bytes.Clone(good), 0)},
		{"end at the wrong size", (&fileStream{}).w(0, page('a')).rec('E', 8192).b},
		{"unknown record", (&fileStream{}).rec('X', 1).rec('E', 0).b},
		{"empty write", (&fileStream{}).w(0, nil).rec('E', 0).b},
		{"write too long", (&fileStream{}).rec('W', 0).rec(0, maxWrite+1).b},
		{"write beyond the limit", (&fileStream{}).w(maxFileSize, []byte{1}).rec('E', maxFileSize+1).b},
		{"huge offset", (&fileStream{}).rec('W', 1<<63).rec(0, 1).b},
		{"offset beyond 64 bits", []byte("W\x88\x88\x88\x88\x88\x88\x88\x88\x880")},
		{"truncation beyond the limit", (&fileStream{}).rec('T', maxFileSize+1).rec('E', maxFileSize+1).b},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := CheckFileStream(bytes.NewReader(tc.stream)); !errors.Is(err, ErrFileStream) {
				t.Fatalf("check: %v", err)
			}
			path := filepath.Join(t.TempDir(), "f")
			if _, err := WriteSQLiteFile(path, bytes.NewReader(tc.stream)); !errors.Is(err, ErrFileStream) {
				t.Fatalf("write: %v", err)
			}
		})
	}
}

func FuzzFileStream(f *testing.F) {
	f.Add((&fileStream{}).w(4096, []byte("page")).rec('T', 10).rec('E', 10).b)
	f.Add((&fileStream{}).w(0, []byte("x")).rec('E', 1).b)
	f.Fuzz(func(t *testing.T, stream []byte) {
		var tt recordingTarget
		size, err := applyFileStream(bytes.NewReader(stream), &tt)
		if err != nil {
			if !errors.Is(err, ErrFileStream) {
				t.Fatalf("an error that is not ErrFileStream: %v", err)
			}
			return
		}
		// Whatever is accepted stays within the limits and ends where
		// its writes and truncations say.
		if size < 0 || size > maxFileSize || size != tt.size {
			t.Fatalf("accepted a file of %d bytes (target says %d)", size, tt.size)
		}
	})
}

// recordingTarget follows a file's size as a stream changes it.
type recordingTarget struct{ size int64 }

func (r *recordingTarget) writeAt(p []byte, off int64) error {
	if len(p) == 0 || len(p) > maxWrite || off < 0 || off+int64(len(p)) > maxFileSize {
		return fmt.Errorf("a write of %d bytes at %d reached the target", len(p), off)
	}
	r.size = max(r.size, off+int64(len(p)))
	return nil
}

func (r *recordingTarget) truncate(size int64) error { r.size = size; return nil }

// TestTransferTo moves a database into a new one without a dump in
// between, into every engine: every row comes through.
func TestTransferTo(t *testing.T) {
	key := randomKey(t)
	src := openSQLiteAt(t, t.TempDir(), key)
	fillForDump(t, src)
	for _, e := range dumpEngines(t) {
		t.Run(e.name, func(t *testing.T) {
			cfg := e.cfg(t)
			cfg.Key = key
			if err := CheckRestoreTarget(ctx, cfg); err != nil {
				t.Fatalf("an empty target was refused: %v", err)
			}
			rows, err := src.TransferTo(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			d := dumpStore(t, src)
			if len(rows) != len(d.tables) {
				t.Fatalf("%d tables transferred, %d dumped", len(rows), len(d.tables))
			}
			for _, r := range rows {
				if r.Rows != d.rows[r.Name] {
					t.Errorf("table %s: %d rows transferred, %d dumped", r.Name, r.Rows, d.rows[r.Name])
				}
			}
			dst := e.open(t, cfg)
			sameDump(t, d, dumpStore(t, dst))
			if rep, err := dst.VerifyAudit(ctx); err != nil || !rep.OK() {
				t.Fatalf("audit after the transfer: %v %+v", err, rep)
			}
			if cfg.DatabaseURL != "" {
				// Now it holds data: refused before and by the transfer.
				if err := CheckRestoreTarget(ctx, cfg); err == nil || !strings.Contains(err.Error(), "already holds Vigil data") {
					t.Fatalf("a target with data: %v", err)
				}
				if _, err := src.TransferTo(ctx, cfg); err == nil {
					t.Fatal("a second transfer into the same database was accepted")
				}
			}
		})
	}
}

func TestCopySQLiteRefusesPostgres(t *testing.T) {
	u := os.Getenv("TEST_POSTGRES_URL")
	if u == "" {
		t.Skip("TEST_POSTGRES_URL is not set")
	}
	key := randomKey(t)
	s, err := Open(ctx, Config{DatabaseURL: pgTestURL(t, u), Key: key, Now: func() time.Time { return time.Unix(1, 0) }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.CopySQLite(ctx, key, &bytes.Buffer{}, CopyOptions{}); err == nil {
		t.Fatal("PostgreSQL was copied as an SQLite file")
	}
}

// TestSequentialWriter writes pieces of every size, past the page cache
// and the usual way: the file holds them in order.
func TestSequentialWriter(t *testing.T) {
	for _, size := range []int{0, 1, directAlign - 1, maxWrite, maxWrite + 1, 3*maxWrite + 12345} {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(i*31 + i>>12)
		}
		path := filepath.Join(t.TempDir(), "f")
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		w := NewSequentialWriter(f)
		for rest := data; len(rest) > 0; {
			k := min(len(rest), 1+len(rest)%70001)
			if _, err := w.Write(rest[:k]); err != nil {
				t.Fatal(err)
			}
			rest = rest[k:]
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(path); !bytes.Equal(got, data) {
			t.Fatalf("%d bytes written, %d read back differ", size, len(got))
		}
	}
}

// TestReadAhead reads a file in requests of every size and place, past
// the page cache and from memory: every byte is what the file holds.
func TestReadAhead(t *testing.T) {
	data := make([]byte, 3*maxWrite+777)
	for i := range data {
		data[i] = byte(i*7 + i>>10)
	}
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, src := range []io.ReaderAt{f, bytes.NewReader(data)} {
		ra := NewReadAhead(src)
		for _, r := range [][2]int{{0, 10}, {5, 65552}, {65552, 65552}, {maxWrite - 3, 100}, {100, maxWrite}, {2 * maxWrite, 4096},
			{len(data) - 50, 50}, {len(data) - 50, 100}, {len(data), 10}, {len(data) + 5000, 10}, {3, 7}} {
			p := make([]byte, r[1])
			n, err := ra.ReadAt(p, int64(r[0]))
			want := data[min(r[0], len(data)):min(r[0]+r[1], len(data))]
			if n != len(want) || !bytes.Equal(p[:n], want) || (n < len(p)) != (err != nil) {
				t.Fatalf("ReadAt(%d, %d) = %d, %v; want %d bytes", r[1], r[0], n, err, len(want))
			}
		}
		// From start to end in age's chunks, across every piece.
		var got []byte
		for off := 0; ; off += 65552 {
			p := make([]byte, 65552)
			n, err := ra.ReadAt(p, int64(off))
			got = append(got, p[:n]...)
			if err != nil {
				break
			}
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("read from start to end: %d bytes, differ", len(got))
		}
		if err := ra.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
