//go:build vigilbench

package web

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"vigil/internal/auth"
	"vigil/internal/domain"
	"vigil/internal/store"
)

// BenchmarkWriteOverhead measures what two-factor authentication and the
// audit chain (with the version history) add to a write, against issue 3's
// budget of 2 ms at p95. `make bench` runs it (it needs the vigilbench tag,
// which alone can turn the audit off):
//
//	go test -tags vigilbench -run '^$' -bench WriteOverhead -benchtime 1000x ./internal/web
//
// Each iteration makes the same two writes through the whole handler, as a
// browser would (form POST with a session cookie), once in each setting, in
// alternating order so that drift and disk noise fall on both alike:
//
//   - full: the audit chain and version history on, and a session that did
//     not pass a second factor, so every request asks whether its user must
//     enrol (the per-request cost of 2FA; a session that passed one skips
//     the question);
//   - bare: audit and versions off, and a session that passed a second
//     factor, so no 2FA work at all.
//
// The writes are an incident created from the full form and an update of an
// incident made in the same setting. It reports p50 and p95 of each in each
// setting and the difference of the p95s. With TEST_POSTGRES_URL set it runs
// on PostgreSQL too (synchronous commit on, unlike the tests).
func BenchmarkWriteOverhead(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchWriteOverhead(b, newTestServer(b)) })
	b.Run("postgres", func(b *testing.B) {
		base := os.Getenv("TEST_POSTGRES_URL")
		if base == "" {
			b.Skip("TEST_POSTGRES_URL is not set")
		}
		u := base + "&synchronous_commit=on"
		if !strings.Contains(base, "?") {
			u = base + "?synchronous_commit=on"
		}
		benchWriteOverhead(b, newPGTestServer(b, u))
	})
}

// writeSetting is one of the two settings compared.
type writeSetting struct {
	name    string
	audit   bool
	cookie  *http.Cookie
	target  int64 // the incident its updates change
	version int   // its version, which an update must name
	creates []time.Duration
	updates []time.Duration
}

func benchWriteOverhead(b *testing.B, env *testEnv) {
	ctx := context.Background()
	lat, lon := 60.58, 27.78
	cp := domain.CrossingPoint{Code: "vaalimaa", NameEN: "Vaalimaa", NameFI: "Vaalimaa", Country: "FI", OtherCountry: "RU",
		Mode: "road", Lat: &lat, Lon: &lon}
	if err := env.Svc.SaveCrossingPoint(ctx, domain.System, &cp); err != nil {
		b.Fatal(err)
	}
	u := env.user(b, "coordinator")

	// full: an ordinary session, without a second factor.
	tok, err := env.Svc.StartSession(ctx, u)
	if err != nil {
		b.Fatal(err)
	}
	full := &writeSetting{name: "full", audit: true, cookie: &http.Cookie{Name: sessionCookie, Value: tok}}
	// bare: a session marked as having passed a second factor, made the way
	// the login makes one.
	bareTok := auth.NewSecret("", 32)
	now := env.Svc.Now().UTC()
	if err := env.Svc.Store.CreateSession(ctx, store.Session{TokenHash: auth.HashSecret(bareTok), UserID: u.ID,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(env.Svc.SessionMax), ReauthAt: now, MFA: true}); err != nil {
		b.Fatal(err)
	}
	bare := &writeSetting{name: "bare", audit: false, cookie: &http.Cookie{Name: sessionCookie, Value: bareTok}}
	defer store.SetAuditForBenchmark(true)

	write := func(s *writeSetting, path string) (int64, time.Duration) {
		form := incValidForm()
		update := path != "/incidents"
		if update {
			form.Set("version", strconv.Itoa(s.version))
		}
		store.SetAuditForBenchmark(s.audit)
		t0 := time.Now()
		w := env.postForm(b, path, form, s.cookie)
		d := time.Since(t0)
		if w.Code != http.StatusSeeOther {
			b.Fatalf("%s: POST %s: %d %s", s.name, path, w.Code, w.Body.String())
		}
		var id int64
		if _, err := fmt.Sscanf(w.Header().Get("Location"), "/incidents/%d?", &id); err != nil {
			b.Fatalf("%s: redirect %q", s.name, w.Header().Get("Location"))
		}
		if update {
			s.version++
		}
		return id, d
	}
	round := func(s *writeSetting, keep bool) {
		_, dc := write(s, "/incidents")
		_, du := write(s, "/incidents/"+strconv.FormatInt(s.target, 10))
		if keep {
			s.creates = append(s.creates, dc)
			s.updates = append(s.updates, du)
		}
	}
	for _, s := range []*writeSetting{full, bare} {
		s.target, _ = write(s, "/incidents")
		s.version = 1
	}
	// Warm up: caches, the first pages of each table, the pools.
	for i := 0; i < 100; i++ {
		round(full, false)
		round(bare, false)
	}

	seq0, _, err := env.Svc.Store.AuditHead(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if i%2 == 0 {
			round(full, true)
			round(bare, true)
		} else {
			round(bare, true)
			round(full, true)
		}
	}
	b.StopTimer()

	// The full setting's writes were audited and the bare ones were not:
	// one entry per create and per update.
	seq1, _, err := env.Svc.Store.AuditHead(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if got, want := seq1-seq0, int64(len(full.creates)+len(full.updates)); got != want {
		b.Fatalf("audit entries during the run: %d, want %d (one per write in the full setting)", got, want)
	}

	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	for _, w := range []struct {
		what       string
		full, bare []time.Duration
	}{{"create", full.creates, bare.creates}, {"update", full.updates, bare.updates}} {
		fp50, fp95 := percentile(w.full, 50), percentile(w.full, 95)
		bp50, bp95 := percentile(w.bare, 50), percentile(w.bare, 95)
		b.ReportMetric(ms(fp50), w.what+"-full-p50-ms")
		b.ReportMetric(ms(fp95), w.what+"-full-p95-ms")
		b.ReportMetric(ms(bp50), w.what+"-bare-p50-ms")
		b.ReportMetric(ms(bp95), w.what+"-bare-p95-ms")
		b.ReportMetric(ms(fp95-bp95), w.what+"-added-p95-ms")
	}
	b.ReportMetric(0, "ns/op") // the per-iteration time mixes both settings; the metrics above are what counts
}

// percentile is the p-th percentile (nearest rank) of ds.
func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[max(i-1, 0)]
}
