package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"
)

// textWindow is how many matches, in list order, a list filtered by words
// reads from an SQLite full-text index before it hands over to the general
// plan (listByText).
const textWindow = 2000

// textListQuery is a list filtered by words, for listByText.
type textListQuery[T any] struct {
	table string // testimonies or incidents
	alias string // of table in cols and others
	cols  string // the select list
	scan  func(rowScanner) (T, error)
	// others are the list's other conditions, on alias's columns only.
	others where
	// general lists the rows after cur (if curOK), at most limit, by the
	// plan every engine uses: the other conditions and fullText's.
	general func(cur cursorKey, curOK bool, limit int) ([]T, error)
	// from and to bound the list date, inclusive, when not "": besides
	// being among others, they narrow the index range the window reads.
	from, to string
}

// listByText returns up to limit rows of a list filtered by the words of
// the FTS5 query q, after cur if curOK, on SQLite.
//
// The index's rowids are the records' sort keys (sortKeySQL), so it hands
// out its matches already in list order. First the rows among the next
// textWindow matches that pass the other conditions are read, driven by
// the index: with no other condition, or one that most matches pass, the
// page is full after a few dozen rows, however common the word and however
// its records cluster in time. Only when the window does not fill the page
// (another condition is selective, such as a monitor's own testimonies)
// does the general plan list the rest, after the window's last match: its
// cost then depends on how rare the word is and how selective the other
// conditions are, as before this index was keyed in list order.
func listByText[T any](ctx context.Context, s *Store, l textListQuery[T], q string, cur cursorKey, curOK bool, limit int) ([]T, error) {
	fts := l.table + "_fts"
	c := s.reader()
	match := where{conds: []string{fts + " MATCH ?"}, args: []any{q}}
	if curOK {
		match.add(fts+".rowid < "+sortKeySQL("?", "?"), cur.K, cur.ID)
	}
	if l.from != "" {
		match.add(fts+".rowid >= "+sortKeySQL("?", "0"), l.from)
	}
	if l.to != "" {
		match.add(fts+".rowid <= "+sortKeySQL("?", strconv.Itoa(sortKeyIDMask)), l.to)
	}
	// The key of the window's last match, if there are more matches.
	window := textWindow
	if s.textWindow > 0 {
		window = s.textWindow
	}
	var floor int64
	err := c.queryRow(ctx, `SELECT rowid FROM `+fts+match.String()+` ORDER BY rowid DESC LIMIT 1 OFFSET ?`,
		append(match.args, window-1)...).Scan(&floor)
	windowed := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	w := l.others.clone()
	w.conds = append(w.conds, match.conds...)
	w.args = append(w.args, match.args...)
	if windowed {
		w.add(fts+".rowid >= ?", floor)
	}
	rows, err := c.query(ctx, `SELECT `+l.cols+` FROM `+fts+` JOIN `+l.table+` `+l.alias+` ON `+l.alias+`.id = (`+fts+`.rowid & `+
		strconv.Itoa(sortKeyIDMask)+`)`+w.String()+` ORDER BY `+fts+`.rowid DESC LIMIT ?`, append(w.args, limit)...)
	items, err := collect(rows, err, l.scan)
	if err != nil || len(items) == limit || !windowed {
		return items, err
	}
	rest, err := l.general(sortKeyCursor(floor), true, limit-len(items))
	return append(items, rest...), err
}

// sortKeyCursor is the list position of a sort key (sortKeySQL).
func sortKeyCursor(key int64) cursorKey {
	k := cursorKey{ID: key & sortKeyIDMask}
	if days := key>>32 - 1_000_000; key>>32 != 0 {
		k.K = time.Unix(days*86400, 0).UTC().Format(time.DateOnly)
	}
	return k
}

// clone copies w, so that adding to the copy leaves w as it was.
func (w where) clone() where {
	return where{conds: append([]string(nil), w.conds...), args: append([]any(nil), w.args...)}
}
