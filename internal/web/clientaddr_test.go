package web

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"vigil/internal/service"
)

func TestParseTrustedProxies(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // the parsed list, or "" for an error
		err  string // what the error must say
	}{
		{in: "10.0.0.0/8", want: "10.0.0.0/8"},
		{in: "192.168.1.7", want: "192.168.1.7/32"},
		{in: "2001:db8::1", want: "2001:db8::1/128"},
		{in: "2001:DB8:1::/48", want: "2001:db8:1::/48"},
		{in: " 10.0.0.1 , 172.16.0.0/12,::1", want: "10.0.0.1/32,172.16.0.0/12,::1/128"},
		// Host bits are dropped, and an IPv4-mapped range is its IPv4 range.
		{in: "10.1.2.3/8", want: "10.0.0.0/8"},
		{in: "::ffff:10.0.0.0/104", want: "10.0.0.0/8"},
		{in: "::ffff:10.0.0.1", want: "10.0.0.1/32"},

		{in: "0.0.0.0/0", err: `"0.0.0.0/0" is too wide`},
		{in: "::/0", err: `"::/0" is too wide`},
		{in: "10.0.0.1,::/0", err: `"::/0" is too wide`},
		{in: "::ffff:0.0.0.0/96", err: "is too wide"},
		// Halves of the internet are as bad as all of it.
		{in: "0.0.0.0/1,128.0.0.0/1", err: `"0.0.0.0/1" is too wide`},
		{in: "::/1", err: "is too wide"},
		{in: "2000::/3", err: "is too wide"},
		{in: "::ffff:0.0.0.0/97", err: "is too wide"},
		{in: "10.0.0.0/7", err: "at least /8"},
		{in: "2001:db8::/16", want: "2001::/16"},
		{in: "::ffff:0:0/95", err: "IPv4-mapped"},
		{in: "proxy.example.org", err: `"proxy.example.org" is not an IP address or CIDR range`},
		{in: "10.0.0.0/33", err: `"10.0.0.0/33" is not`},
		{in: "10.0.0.1:8080", err: `"10.0.0.1:8080" is not`},
		{in: "fe80::1%eth0", err: `"fe80::1%eth0" is not`},
		{in: "10.0.0.1,", err: `empty proxy address in "10.0.0.1,"`},
		{in: "", err: "empty proxy address"},
	} {
		got, err := ParseTrustedProxies(tc.in)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%q: %v", tc.in, err)
		case tc.err == "" && got.String() != tc.want:
			t.Errorf("%q: %s, want %s", tc.in, got, tc.want)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%q: error %v, want one saying %q", tc.in, err, tc.err)
		}
	}
}

// Ranges wide enough to hold clients are named for the start-up warning.
func TestWideTrustedRanges(t *testing.T) {
	tp, err := ParseTrustedProxies("10.0.0.5,10.0.0.0/8,192.168.1.0/24,172.16.0.0/23,2001:db8::/48,2001:db8:1:2::/64")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(tp.WideRanges(), ","); got != "10.0.0.0/8,172.16.0.0/23,2001:db8::/48" {
		t.Errorf("wide ranges %q", got)
	}
}

func TestClientAddressResolution(t *testing.T) {
	trusted, err := ParseTrustedProxies("10.0.0.0/8,192.168.1.1,2001:db8:1::/48")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		trusted TrustedProxies
		peer    string   // RemoteAddr
		xff     []string // X-Forwarded-For lines
		want    string
	}{
		{"no proxies configured: the header is ignored", nil, "10.0.0.2:4000", []string{"198.51.100.1"}, "10.0.0.2"},
		{"spoofed header from an untrusted peer", trusted, "203.0.113.9:4000", []string{"198.51.100.1"}, "203.0.113.9"},
		{"spoofed trusted-looking header from an untrusted peer", trusted, "203.0.113.9:4000", []string{"10.0.0.3"}, "203.0.113.9"},
		{"trusted peer, no header", trusted, "10.0.0.2:4000", nil, "10.0.0.2"},
		{"trusted peer, one hop", trusted, "10.0.0.2:4000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"chain: trusted hops skipped, the client's own claim ignored", trusted, "10.0.0.2:4000",
			[]string{"1.2.3.4, 198.51.100.1, 192.168.1.1,10.9.9.9"}, "198.51.100.1"},
		{"chain over several header lines", trusted, "10.0.0.2:4000",
			[]string{"1.2.3.4", "198.51.100.1, 10.0.0.7", "192.168.1.1"}, "198.51.100.1"},
		{"every hop trusted", trusted, "10.0.0.2:4000", []string{"10.0.0.3, 192.168.1.1"}, "10.0.0.2"},
		{"garbage header", trusted, "10.0.0.2:4000", []string{"not-an-address"}, "10.0.0.2"},
		{"garbage right of the client", trusted, "10.0.0.2:4000", []string{"198.51.100.1, unknown"}, "10.0.0.2"},
		{"garbage left of the client is never read", trusted, "10.0.0.2:4000", []string{"<script>, 198.51.100.1"}, "198.51.100.1"},
		{"empty header", trusted, "10.0.0.2:4000", []string{""}, "10.0.0.2"},
		{"trailing comma", trusted, "10.0.0.2:4000", []string{"198.51.100.1,"}, "10.0.0.2"},
		{"address with port", trusted, "10.0.0.2:4000", []string{"198.51.100.1:5555"}, "10.0.0.2"},
		{"address with zone", trusted, "10.0.0.2:4000", []string{"fe80::1%eth0"}, "10.0.0.2"},
		{"IPv6 proxy and client", trusted, "[2001:db8:1::5]:443", []string{"2001:DB8:FFFF:0::1"}, "2001:db8:ffff::1"},
		{"IPv6 client behind an IPv4 proxy", trusted, "10.0.0.2:4000", []string{"2001:db8:ffff::1, 2001:db8:1::9"}, "2001:db8:ffff::1"},
		{"IPv6 peer outside the range", trusted, "[2001:db8:2::1]:443", []string{"198.51.100.1"}, "2001:db8:2::1"},
		{"IPv4-mapped peer and hops", trusted, "[::ffff:10.0.0.2]:4000", []string{"::ffff:198.51.100.1, ::ffff:10.0.0.3"}, "198.51.100.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.peer
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := tc.trusted.client(r); got != tc.want {
				t.Errorf("client %q, want %q", got, tc.want)
			}
		})
	}
}

// TestThrottlingBehindAProxy: behind a trusted proxy, one client's
// failed logins lock that client only; without --trusted-proxy every
// request through the proxy is the proxy, whatever the header says.
func TestThrottlingBehindAProxy(t *testing.T) {
	const proxy = "10.0.0.2:4000"
	login := func(e *secEnv, forwardedFor, username, password string) int {
		form := url.Values{"username": {username}, "password": {password}, "next": {"/"}}
		r := httptest.NewRequest("POST", "/login", strings.NewReader(form.Encode()))
		r.RemoteAddr = proxy
		r.Header.Set("X-Forwarded-For", forwardedFor)
		r.Header.Set("Sec-Fetch-Site", "same-origin")
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		e.H.ServeHTTP(w, r)
		return w.Code
	}
	for _, tc := range []struct {
		name    string
		trusted string
		other   int // the other client's login after the first is locked
	}{
		{"trusted proxy", "10.0.0.0/8", 303},
		{"no trusted proxy", "", 429},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newSecEnv(t)
			if tc.trusted != "" {
				tp, err := ParseTrustedProxies(tc.trusted)
				if err != nil {
					t.Fatal(err)
				}
				e.Srv.TrustedProxies = tp
			}
			e.account(t, "aino", "monitor")
			for i := range service.ClientThrottle.Free {
				if code := login(e, "203.0.113.5", "user"+itoa(i), "guess-guess-guess"); code != 401 {
					t.Fatalf("guess %d: %d", i, code)
				}
			}
			if code := login(e, "203.0.113.5", "aino", "aino-password-long"); code != 429 {
				t.Fatalf("the guessing client, right password: %d", code)
			}
			if code := login(e, "203.0.113.6", "aino", "aino-password-long"); code != tc.other {
				t.Fatalf("another client through the same proxy: %d, want %d", code, tc.other)
			}
		})
	}
}
