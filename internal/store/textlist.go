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
	// general lists the rows after cur (if curOK), at most limit, on c, by
	// the plan every engine uses: the other conditions and fullText's.
	general func(c conn, cur cursorKey, curOK bool, limit int) ([]T, error)
	// from and to bound the list date, inclusive, when not "": besides
	// being among others, they narrow the index range the window reads.
	from, to string
	// date is the list date column (under alias), for ordering.
	date string
	// merge, when set, is one of the other conditions that has an index
	// in list order; after the window, the rows are found by merging its
	// keys with the matches instead of by the general plan.
	merge *keyedIndex
}

// keyedIndex reads, in list order, the sort keys of the rows that pass one
// equality condition, from an index in list order: query selects the keys
// at or below a list position (its last two arguments before the limit),
// newest first.
type keyedIndex struct {
	query string
	args  []any
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
	// One read transaction, so that every statement below sees the same
	// snapshot: a write between two of them could otherwise move a record
	// across the window's edge, onto the page twice or off it.
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	c := conn{q: tx, d: s.d, au: s.au}
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
	err = c.queryRow(ctx, `SELECT rowid FROM `+fts+match.String()+` ORDER BY rowid DESC LIMIT 1 OFFSET ?`,
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
	var rest []T
	if l.merge != nil {
		rest, err = mergeByText(ctx, c, l, match, floor, limit-len(items))
	} else {
		rest, err = l.general(c, sortKeyCursor(floor), true, limit-len(items))
	}
	return append(items, rest...), err
}

// listOrderKeys reads the sort keys of the rows of from (a table and its
// alias) that meet cond (equalities, with values for its placeholders),
// from index, which must hold cond's columns and then the list date and id,
// so that the keys come newest first without a sort, for mergeByText.
func listOrderKeys(from, date, id, index, cond string, values ...any) *keyedIndex {
	return &keyedIndex{query: `SELECT ` + sortKeySQL(date, id) + ` FROM ` + from + ` INDEXED BY ` + index +
		` WHERE ` + cond + ` AND (` + date + `, ` + id + `) <= (?, ?) ORDER BY ` + date + ` DESC, ` + id + ` DESC LIMIT ?`, args: values}
}

// mergeBatch is how many keys a merge reads from either side at a time.
const mergeBatch = 256

// mergeByText lists up to limit rows whose sort keys are below `below` and
// among both the full-text matches (the conditions in match) and the keys
// of l.merge, newest first, checking the other conditions on each row in
// both. Both sides are read in list order, keys only, in batches, and each
// side skips ahead to the other's current key, so the cost follows how the
// two sets interleave rather than the size of either: a common word with a
// rare nationality, even with no row in common, reads each side only where
// the other has keys too.
func mergeByText[T any](ctx context.Context, c conn, l textListQuery[T], match where, below int64, limit int) ([]T, error) {
	fts := l.table + "_fts"
	readMatches := func(atMost int64) ([]int64, error) {
		w := match.clone()
		w.add(fts+".rowid <= ?", atMost)
		rows, err := c.query(ctx, `SELECT rowid FROM `+fts+w.String()+` ORDER BY rowid DESC LIMIT ?`, append(w.args, mergeBatch)...)
		return collect(rows, err, scanKey)
	}
	readIndex := func(atMost int64) ([]int64, error) {
		p := sortKeyCursor(atMost)
		rows, err := c.query(ctx, l.merge.query, append(append([]any(nil), l.merge.args...), p.K, p.ID, mergeBatch)...)
		return collect(rows, err, scanKey)
	}
	var (
		out   []T
		cands []int64
		a, b  []int64
		err   error
	)
	// check reads the candidates' rows that pass every other condition.
	check := func() error {
		if len(cands) == 0 {
			return nil
		}
		ids := make([]int64, len(cands))
		for i, k := range cands {
			ids[i] = k & sortKeyIDMask
		}
		w := l.others.clone()
		w.add(c.d.int64In(l.alias+".id", ids))
		rows, err := c.query(ctx, `SELECT `+l.cols+` FROM `+l.table+` `+l.alias+w.String()+` ORDER BY `+sortKeySQL(l.date, l.alias+".id")+` DESC`, w.args...)
		items, err := collect(rows, err, l.scan)
		out = append(out, items...)
		cands = cands[:0]
		return err
	}
	hi := below - 1 // every key above hi has been dealt with
	for len(out) < limit {
		if len(a) == 0 {
			if a, err = readMatches(hi); err != nil || len(a) == 0 {
				break
			}
		}
		if len(b) == 0 {
			if b, err = readIndex(hi); err != nil || len(b) == 0 {
				break
			}
		}
		switch x, y := a[0], b[0]; {
		case x == y:
			cands = append(cands, x)
			hi = x - 1
		case x > y:
			hi = y // no key of the index lies between y and x
		default:
			hi = x
		}
		a, b = dropAbove(a, hi), dropAbove(b, hi)
		if len(cands) >= limit-len(out) {
			if err = check(); err != nil {
				return nil, err
			}
		}
	}
	if err != nil {
		return nil, err
	}
	if err := check(); err != nil {
		return nil, err
	}
	return out[:min(len(out), limit)], nil
}

// dropAbove drops the keys above hi from the front of a list in
// descending order.
func dropAbove(keys []int64, hi int64) []int64 {
	i := 0
	for i < len(keys) && keys[i] > hi {
		i++
	}
	return keys[i:]
}

func scanKey(r rowScanner) (int64, error) {
	var k int64
	return k, r.Scan(&k)
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
