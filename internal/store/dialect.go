package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"unicode"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/ncruces/go-sqlite3"
)

// dialect holds the few things that really differ between SQLite and
// PostgreSQL. Everything else is shared SQL written with ? placeholders.
type dialect interface {
	name() string
	rebind(query string) string
	isUniqueViolation(err error) bool
	// isBadText reports an error caused by text the engine refuses to
	// store (PostgreSQL rejects NUL bytes and invalid UTF-8), so that it can
	// reach the user as a validation problem instead of an internal error.
	isBadText(err error) bool
	// fullText returns a condition that keeps the rows of table (under
	// alias) matching every word, and the condition's one argument. date
	// and id are the expressions for the row's list date and id that the
	// query has at hand earliest (index columns), so the engine can test
	// them before fetching the row.
	fullText(ctx context.Context, c conn, table, alias, date, id string, words []string) (cond string, arg any, err error)
	// textIndexInsert returns the statement that adds a new row of table to
	// its full-text index, taking the list date, the id and the indexed
	// columns in order, or "" when the engine keeps the index by itself.
	textIndexInsert(table string) string
	// int64In returns a condition "col is one of ids" with one argument, so
	// that a long list never runs into the engines' placeholder limits.
	int64In(col string, ids []int64) (cond string, arg any)
}

type sqliteDialect struct {
	alwaysWalk bool // tests set it to check that both full-text plans agree
}

func (sqliteDialect) name() string               { return "sqlite" }
func (sqliteDialect) rebind(query string) string { return query }

func (sqliteDialect) isUniqueViolation(err error) bool {
	return errors.Is(err, sqlite3.CONSTRAINT_UNIQUE) || errors.Is(err, sqlite3.CONSTRAINT_PRIMARYKEY)
}

func (sqliteDialect) isBadText(error) bool { return false }

// SQLite keeps full text in FTS5 external-content tables named <table>_fts
// with the columns ftsColumns lists. Their rowid is not the record id but
// its sort key in list order (sortKeySQL; migration 0007), read through
// the views <table>_fts_source.
var ftsColumns = map[string]string{
	"testimonies": "narrative, narrator_pseudonym, public_quotes",
	"incidents":   "title, summary, public_summary, place",
}

// sortKeySQL is the SQL for the full-text index rowid of a record whose
// list date (YYYY-MM-DD, or ” for none) is date and whose id is id: the
// days from 1970 to the date plus 1,000,000 in the high 32 bits (0 without
// a date, which lists last), the id in the low 32. Keys then order exactly
// as the lists do (date, then id, both descending) for every date the store
// accepts (years 0000-9999) and ids below 2^32, which migration 0007's
// triggers enforce. The migration writes the same expression into its
// views and triggers; a test checks that every index row agrees with them.
func sortKeySQL(date, id string) string {
	return "((coalesce(unixepoch(" + date + ") / 86400 + 1000000, 0) << 32) | " + id + ")"
}

// SortKeySQL is sortKeySQL for tools that write or read the index rows
// themselves (the benchmark's bare-engine baseline and its SQL steps).
func SortKeySQL(date, id string) string { return sortKeySQL(date, id) }

// sortKeyIDMask keeps the record id of a sort key.
const sortKeyIDMask = 0xFFFFFFFF

// textIndexInsert adds a new row of table to its index; its arguments are
// the list date, the id and the columns of ftsColumns (testimonyText,
// incidentText).
func (sqliteDialect) textIndexInsert(table string) string {
	cols := ftsColumns[table]
	return "INSERT INTO " + table + "_fts (rowid, " + cols + ") VALUES (" + sortKeySQL("?", "?") + strings.Repeat(", ?", strings.Count(cols, ",")+1) + ")"
}

// fullText picks one of two plans by how many rows match, because SQLite
// cannot weigh them itself (FTS5 gives its planner no row estimates).
// Measured on 200,000 encrypted incidents:
//
//   - collect the matches and sort them into list order: about 6 µs per
//     match when matches are sparse (each costs a row read), so fine for
//     rare words and seconds for a word in every record;
//   - walk the list in order and ask FTS5 about each row until the page is
//     full: about 60 µs per row asked, so fine when most rows match and
//     hopeless when few do.
//
// A count of the matches that stops at a limit decides. The limit,
// sqrt(500 n) for n rows, is where both plans cost the same; that worst
// case is about 0.1 s at a million rows, and most words are far cheaper.
func (d sqliteDialect) fullText(ctx context.Context, c conn, table, _, date, id string, words []string) (string, any, error) {
	q := fts5Query(words)
	var rows int64
	err := c.queryRow(ctx, `SELECT n FROM counters WHERE kind = ? AND key = ''`, table).Scan(&rows)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", nil, err
	}
	limit := min(max(int64(math.Sqrt(500*float64(rows))), 2000), 100_000)
	var matches int64
	if err := c.queryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM `+table+`_fts WHERE `+table+`_fts MATCH ? LIMIT ?)`,
		q, limit+1).Scan(&matches); err != nil {
		return "", nil, err
	}
	if matches <= limit && !d.alwaysWalk {
		return id + " IN (SELECT rowid & " + strconv.Itoa(sortKeyIDMask) + " FROM " + table + "_fts WHERE " + table + "_fts MATCH ?)", q, nil
	}
	return "EXISTS (SELECT 1 FROM " + table + "_fts WHERE " + table + "_fts MATCH ? AND rowid = " + sortKeySQL(date, id) + ")", q, nil
}

func (sqliteDialect) int64In(col string, ids []int64) (string, any) {
	b, _ := json.Marshal(ids) // cannot fail for []int64
	return col + " IN (SELECT value FROM json_each(?))", string(b)
}

type postgresDialect struct{}

func (postgresDialect) name() string               { return "postgres" }
func (postgresDialect) rebind(query string) string { return rebindDollar(query) }

func (postgresDialect) isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

func (postgresDialect) isBadText(err error) bool {
	var pe *pgconn.PgError
	// 22021: invalid byte sequence / NUL byte; 22P05: untranslatable character.
	return errors.As(err, &pe) && (pe.Code == "22021" || pe.Code == "22P05")
}

// PostgreSQL keeps a generated tsvector column "search" on the table, and
// its planner has the statistics to choose between the GIN index and a walk
// in list order.
func (postgresDialect) fullText(_ context.Context, _ conn, _, alias, _, _ string, words []string) (string, any, error) {
	return alias + ".search @@ to_tsquery('simple', ?)", tsQuery(words), nil
}

func (postgresDialect) textIndexInsert(string) string { return "" }

func (postgresDialect) int64In(col string, ids []int64) (string, any) {
	if ids == nil {
		ids = []int64{} // a nil slice would be sent as NULL and match nothing anyway, but say so
	}
	return col + " = ANY(?)", ids
}

// rebindDollar turns ? placeholders into $1..$n. A ? inside a single-quoted
// string literal is left alone, so shared SQL may compare against text that
// happens to contain one.
func rebindDollar(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 32)
	n := 0
	inString := false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			// A doubled quote inside a literal toggles twice and stays inside.
			inString = !inString
		case c == '?' && !inString:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// Limits on a search so that a pasted page of text cannot become a query
// that runs for seconds.
const (
	maxSearchWords   = 16
	maxSearchWordLen = 64 // runes
)

// searchWords splits what a user typed into the words both full-text
// engines index: runs of letters, numbers and combining marks (marks carry
// the vowels of Arabic, Devanagari and other scripts, so they stay inside
// words). Everything else separates words, which is also how FTS5
// unicode61 and PostgreSQL's parser treat it; operators and quotes that a
// user types therefore never reach the engine as syntax.
func searchWords(q string) []string {
	var words []string
	for _, w := range strings.FieldsFunc(q, func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r) || unicode.Is(unicode.Co, r))
	}) {
		if r := []rune(w); len(r) > maxSearchWordLen {
			w = string(r[:maxSearchWordLen])
		}
		words = append(words, w)
		if len(words) == maxSearchWords {
			break
		}
	}
	return words
}

// fts5Query quotes every word as an FTS5 string; all must match. Words
// match whole, not as prefixes: FTS5 gathers every posting of every term
// with a prefix before it can answer, which took over a second for a common
// word on 200,000 incidents.
func fts5Query(words []string) string {
	var b strings.Builder
	for i, w := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteByte('"')
		b.WriteString(strings.ReplaceAll(w, `"`, `""`))
		b.WriteByte('"')
	}
	return b.String()
}

// tsQuery is fts5Query for PostgreSQL's to_tsquery, with the same meaning.
func tsQuery(words []string) string {
	var b strings.Builder
	for i, w := range words {
		if i > 0 {
			b.WriteString(" & ")
		}
		b.WriteByte('\'')
		b.WriteString(strings.NewReplacer(`'`, `''`, `\`, `\\`).Replace(w))
		b.WriteByte('\'')
	}
	return b.String()
}
