package store

import (
	"fmt"
	"os"
	"testing"
	"time"

	"vigil/internal/domain"
)

func zzBatch(b, n int) []domain.Incident {
	kinds := []string{"pushback", "violence", "detention", "death", "injury"}
	nats := []string{"SY", "SO", "YE", "IQ", "TR", "AF", "MA", "ER"}
	batch := make([]domain.Incident, n)
	for i := range batch {
		j := b + i
		in := newIncident(fmt.Sprintf("%04d-%02d-%02d", 2015+(j*7919)%10, 1+(j*31)%12, 1+(j*17)%28), fmt.Sprintf("incident %d at the border", j))
		in.Summary = fmt.Sprintf("summary %d of what happened in the forest near the crossing point", j)
		if j%100 == 0 {
			in.Summary += " handcuffed"
		}
		in.Kinds = []string{kinds[(j*13)%5]}
		in.Group.Nationalities = []domain.NationalityCount{{Country: nats[(j*7)%8]}}
		batch[i] = *in
	}
	return batch
}

var zzKey = []byte("0123456789abcdef0123456789abcdef")

func TestZZMake(t *testing.T) {
	dir := "/tmp/zzdb"
	os.RemoveAll(dir)
	os.MkdirAll(dir, 0o700)
	s, err := Open(ctx, Config{Dir: dir, Key: zzKey})
	mustOK(t, err)
	defer s.Close()
	_, err = s.w.ExecContext(ctx, "PRAGMA cache_size=-32768")
	mustOK(t, err)
	for b := 0; b < 200_000; b += 10000 {
		mustOK(t, s.BulkInsertIncidents(ctx, zzBatch(b, 10000)))
	}
}

func TestZZQuery(t *testing.T) {
	s, err := Open(ctx, Config{Dir: "/tmp/zzdb", Key: zzKey})
	mustOK(t, err)
	defer s.Close()
	for _, q := range []struct{ name, sql string }{
		{"in", `SELECT i.id FROM incidents i WHERE i.id IN (SELECT rowid FROM incidents_fts WHERE incidents_fts MATCH ?) ORDER BY i.when_from DESC, i.id DESC LIMIT 51`},
		{"exists", `SELECT i.id FROM incidents i WHERE EXISTS (SELECT 1 FROM incidents_fts WHERE incidents_fts MATCH ? AND rowid = i.id) ORDER BY i.when_from DESC, i.id DESC LIMIT 51`},
		{"probe", `SELECT count(*) FROM (SELECT 1 FROM incidents_fts WHERE incidents_fts MATCH ? LIMIT 1001)`},
	} {
		for _, word := range []string{`"border"`, `"handcuffed"`, `"summary" "12345"`, `"forest" "handcuffed"`} {
			for k := 0; k < 2; k++ {
				t0 := time.Now()
				rows, err := s.r.QueryContext(ctx, q.sql, word)
				mustOK(t, err)
				n := 0
				for rows.Next() {
					n++
				}
				rows.Close()
				if k == 1 {
					t.Logf("%s %s: %d rows %v", q.name, word, n, time.Since(t0))
				}
			}
		}
	}
}
