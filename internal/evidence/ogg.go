package evidence

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
)

// An Ogg file is a sequence of checksummed pages carrying the packets of a
// logical stream. Vorbis and Opus put their tags (Vorbis comments: title,
// artist, date, location, the encoder, sometimes a picture) in the second
// header packet. The copy replaces that packet with an empty one and
// re-pages the header; audio pages are kept, renumbered if needed.

type oggPage struct {
	flags   byte
	granule uint64
	serial  uint32
	seq     uint32
	lacing  []byte
	body    []byte
}

var oggCRCTable = func() [256]uint32 {
	var t [256]uint32
	for i := range t {
		r := uint32(i) << 24
		for j := 0; j < 8; j++ {
			if r&0x80000000 != 0 {
				r = r<<1 ^ 0x04C11DB7
			} else {
				r <<= 1
			}
		}
		t[i] = r
	}
	return t
}()

func oggCRC(b []byte) uint32 {
	var c uint32
	for _, x := range b {
		c = c<<8 ^ oggCRCTable[byte(c>>24)^x]
	}
	return c
}

func parseOggPages(b []byte, label string) ([]oggPage, error) {
	var pages []oggPage
	for p := 0; p < len(b); {
		if len(b)-p < 27 || string(b[p:p+4]) != "OggS" || b[p+4] != 0 {
			if len(pages) > 0 && allZero(b[p:]) {
				break
			}
			if len(pages) > 0 {
				return nil, trailingData(label)
			}
			return nil, damaged(label)
		}
		nseg := int(b[p+26])
		if p+27+nseg > len(b) {
			return nil, damaged(label)
		}
		lacing := b[p+27 : p+27+nseg]
		n := 0
		for _, l := range lacing {
			n += int(l)
		}
		end := p + 27 + nseg + n
		if end > len(b) {
			return nil, damaged(label)
		}
		page := append([]byte{}, b[p:end]...)
		want := binary.LittleEndian.Uint32(page[22:])
		page[22], page[23], page[24], page[25] = 0, 0, 0, 0
		if oggCRC(page) != want {
			return nil, damaged(label)
		}
		pages = append(pages, oggPage{
			flags: b[p+5], granule: binary.LittleEndian.Uint64(b[p+6:]), serial: binary.LittleEndian.Uint32(b[p+14:]),
			seq: binary.LittleEndian.Uint32(b[p+18:]), lacing: lacing, body: b[p+27+nseg : end],
		})
		p = end
	}
	if len(pages) == 0 {
		return nil, damaged(label)
	}
	return pages, nil
}

func (pg oggPage) bytes() []byte {
	out := make([]byte, 27, 27+len(pg.lacing)+len(pg.body))
	copy(out, "OggS")
	out[5] = pg.flags
	binary.LittleEndian.PutUint64(out[6:], pg.granule)
	binary.LittleEndian.PutUint32(out[14:], pg.serial)
	binary.LittleEndian.PutUint32(out[18:], pg.seq)
	out[26] = byte(len(pg.lacing))
	out = append(out, pg.lacing...)
	out = append(out, pg.body...)
	binary.LittleEndian.PutUint32(out[22:], oggCRC(out))
	return out
}

func inspectOgg(b []byte, r *inspection) error {
	const label = "Ogg audio"
	pages, err := parseOggPages(b, label)
	if err != nil {
		return err
	}
	serial := pages[0].serial
	for _, pg := range pages {
		if pg.serial != serial {
			return invalid("the Ogg file holds more than one stream (for example video); only Ogg Vorbis or Opus audio is accepted")
		}
	}
	// Collect the header packets: Vorbis has three (identification,
	// comment, setup), Opus two (head, tags). They must end on a page
	// boundary; audio starts on a fresh page.
	var (
		packets [][]byte
		cur     []byte
		need    = 0
		hdrEnd  = -1
	)
	for i, pg := range pages {
		off := 0
		for _, l := range pg.lacing {
			cur = append(cur, pg.body[off:off+int(l)]...)
			off += int(l)
			if l < 255 {
				packets = append(packets, cur)
				cur = nil
				if len(packets) == 1 {
					switch {
					case bytes.HasPrefix(packets[0], []byte("\x01vorbis")):
						need = 3
					case bytes.HasPrefix(packets[0], []byte("OpusHead")):
						need = 2
					default:
						return invalid("only Ogg Vorbis or Opus audio is accepted")
					}
				}
			}
		}
		if need > 0 && len(packets) >= need {
			if len(packets) > need || cur != nil {
				return damaged(label)
			}
			hdrEnd = i
			break
		}
		if len(packets) == 0 && i > 0 {
			return damaged(label)
		}
	}
	if hdrEnd < 0 || len(pages[0].lacing) == 0 {
		return damaged(label)
	}
	vorbis := need == 3
	comment := packets[1]
	prefix := []byte("OpusTags")
	if vorbis {
		prefix = []byte("\x03vorbis")
	}
	if !bytes.HasPrefix(comment, prefix) {
		return damaged(label)
	}
	r.textRegion(comment)
	source := "Opus"
	if vorbis {
		source = "Vorbis"
	}
	if err := vorbisComments(comment[len(prefix):], source, r); err != nil {
		return damaged(label)
	}
	// The copy: the identification page, new pages for an empty comment
	// packet (and the Vorbis setup packet), then the audio pages.
	empty := append(append([]byte{}, prefix...), 0, 0, 0, 0, 0, 0, 0, 0)
	if vorbis {
		empty = append(empty, 1) // framing bit
	}
	hdr := [][]byte{empty}
	if vorbis {
		hdr = append(hdr, packets[2])
	}
	var out bytes.Buffer
	first := pages[0]
	out.Write(first.bytes())
	seq := first.seq + 1
	for _, pg := range paginate(hdr, serial, seq) {
		out.Write(pg.bytes())
		seq++
	}
	for _, pg := range pages[hdrEnd+1:] {
		pg.seq = seq
		seq++
		out.Write(pg.bytes())
	}
	r.stripped = out.Bytes()
	return nil
}

// paginate lays packets out on pages of at most 255 lacing values.
func paginate(packets [][]byte, serial, seq uint32) []oggPage {
	var (
		pages []oggPage
		pg    = oggPage{serial: serial, seq: seq}
	)
	flush := func(done bool) {
		if done {
			pg.granule = 0
		} else {
			pg.granule = ^uint64(0) // no packet ends on this page
		}
		pages = append(pages, pg)
		seq++
		pg = oggPage{serial: serial, seq: seq}
	}
	for _, p := range packets {
		for {
			n := min(len(p), 255)
			pg.lacing = append(pg.lacing, byte(n))
			pg.body = append(pg.body, p[:n]...)
			p = p[n:]
			last := n < 255
			if len(pg.lacing) == 255 {
				flush(last)
				if !last {
					pg.flags |= 1
				}
			}
			if last {
				break
			}
		}
	}
	if len(pg.lacing) > 0 {
		flush(true)
	}
	return pages
}

// vorbisComments reads a vendor string and KEY=value comments.
func vorbisComments(b []byte, source string, r *inspection) error {
	m := &r.meta
	u32 := func() (int, bool) {
		if len(b) < 4 {
			return 0, false
		}
		n := int(binary.LittleEndian.Uint32(b))
		b = b[4:]
		return n, n >= 0 && n <= len(b)
	}
	n, ok := u32()
	if !ok {
		return errFormat
	}
	m.addKind(source, "Encoder", string(b[:n]), "software")
	b = b[n:]
	count, ok := u32()
	if !ok {
		return errFormat
	}
	for i := 0; i < count; i++ {
		n, ok := u32()
		if !ok {
			return errFormat
		}
		k, v, _ := strings.Cut(string(b[:n]), "=")
		b = b[n:]
		switch strings.ToUpper(k) {
		case "METADATA_BLOCK_PICTURE", "COVERART":
			d, _ := base64.StdEncoding.DecodeString(v)
			m.addKind(source, "Picture", fmt.Sprintf("embedded picture (%d bytes)", len(d)), "other")
		default:
			m.add(source, k, v)
		}
	}
	return nil
}
