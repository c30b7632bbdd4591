package web

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// TrustedProxies are the address ranges of reverse proxies (nginx, Caddy)
// whose X-Forwarded-For header Vigil believes. Empty, the default, means
// the client is always the TCP peer. Build it with ParseTrustedProxies,
// which refuses ranges that would let anyone choose their own address.
type TrustedProxies []netip.Prefix

// ParseTrustedProxies reads a comma-separated list of CIDR ranges or
// single addresses (taken as /32 or /128). Every error names the value
// that is wrong.
func ParseTrustedProxies(list string) (TrustedProxies, error) {
	var tp TrustedProxies
	for _, v := range strings.Split(list, ",") {
		v = strings.TrimSpace(v)
		if v == "" {
			return nil, fmt.Errorf("empty proxy address in %q", list)
		}
		p, err := parseProxyRange(v)
		if err != nil {
			return nil, err
		}
		tp = append(tp, p)
	}
	return tp, nil
}

func parseProxyRange(v string) (netip.Prefix, error) {
	var p netip.Prefix
	if strings.Contains(v, "/") {
		var err error
		if p, err = netip.ParsePrefix(v); err != nil {
			return p, fmt.Errorf("%q is not an IP address or CIDR range (like 10.0.0.5 or 10.0.0.0/29)", v)
		}
	} else {
		a, err := netip.ParseAddr(v)
		if err != nil || a.Zone() != "" {
			return p, fmt.Errorf("%q is not an IP address or CIDR range (like 10.0.0.5 or 10.0.0.0/29)", v)
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	// Peers and forwarded addresses are compared unmapped, so an
	// IPv4-mapped range (::ffff:10.0.0.0/104) is the IPv4 range it names.
	if a := p.Addr(); a.Is4In6() {
		if p.Bits() < 96 {
			return p, fmt.Errorf("%q mixes IPv4-mapped and other IPv6 addresses; give the IPv4 and IPv6 ranges separately", v)
		}
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	// A client inside a trusted range can write any address it likes into
	// the header and be throttled under it. Ranges as wide as a fraction of
	// the internet are surely not only proxies; narrower ones that still
	// hold clients are warned about at start (WideRanges).
	if min := minProxyBits(p.Addr()); p.Bits() < min {
		return p, fmt.Errorf("%q is too wide to be only reverse proxies (at least /%d): a client inside a trusted range can choose the address it is throttled and logged under; give the proxy's own address", v, min)
	}
	return p.Masked(), nil
}

// minProxyBits is the shortest prefix accepted as reverse proxies.
func minProxyBits(a netip.Addr) int {
	if a.Is4() {
		return 8
	}
	return 16
}

// WideRanges lists the trusted ranges wider than a small subnet (/24 for
// IPv4, /64 for IPv6): if clients can connect from inside one, they can
// choose the address they are throttled under, so the operator is warned.
func (tp TrustedProxies) WideRanges() []string {
	var wide []string
	for _, p := range tp {
		if (p.Addr().Is4() && p.Bits() < 24) || (!p.Addr().Is4() && p.Bits() < 64) {
			wide = append(wide, p.String())
		}
	}
	return wide
}

// String lists the ranges, comma-separated.
func (tp TrustedProxies) String() string {
	s := make([]string, len(tp))
	for i, p := range tp {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

func (tp TrustedProxies) trusts(a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	for _, p := range tp {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// client resolves the client address of r. Only a request whose TCP peer
// is a trusted proxy has its X-Forwarded-For read, and that from the right:
// each proxy appends the address it received the request from, so the
// entries on the left are whatever the client chose to send, and the first
// untrusted entry from the right is the last address no trusted proxy
// could vouch for beyond. A missing or malformed header, or one in which
// every hop is a trusted proxy, leaves the peer.
func (tp TrustedProxies) client(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if len(tp) == 0 {
		return host
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !tp.trusts(peer) {
		return host
	}
	// Several header lines form one list, in order.
	lines := r.Header.Values("X-Forwarded-For")
	for i := len(lines) - 1; i >= 0; i-- {
		rest := lines[i]
		for {
			cut := strings.LastIndexByte(rest, ',')
			hop, err := netip.ParseAddr(strings.TrimSpace(rest[cut+1:]))
			if err != nil || hop.Zone() != "" {
				return host
			}
			if !tp.trusts(hop) {
				// Canonical form: the header's own text never reaches
				// throttling keys or logs.
				return hop.Unmap().String()
			}
			if cut < 0 {
				break
			}
			rest = rest[:cut]
		}
	}
	return host
}
