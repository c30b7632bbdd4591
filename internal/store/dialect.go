package store

import (
	"encoding/json"
	"errors"
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
	// alias) matching every word, and the condition's one argument.
	fullText(table, alias string, words []string) (cond string, arg any)
	// int64In returns a condition "col is one of ids" with one argument, so
	// that a long list never runs into the engines' placeholder limits.
	int64In(col string, ids []int64) (cond string, arg any)
}

type sqliteDialect struct{}

func (sqliteDialect) name() string               { return "sqlite" }
func (sqliteDialect) rebind(query string) string { return query }

func (sqliteDialect) isUniqueViolation(err error) bool {
	return errors.Is(err, sqlite3.CONSTRAINT_UNIQUE) || errors.Is(err, sqlite3.CONSTRAINT_PRIMARYKEY)
}

func (sqliteDialect) isBadText(error) bool { return false }

// SQLite keeps full text in FTS5 external-content tables named <table>_fts
// whose rowid is the record id.
func (sqliteDialect) fullText(table, alias string, words []string) (string, any) {
	return alias + ".id IN (SELECT rowid FROM " + table + "_fts WHERE " + table + "_fts MATCH ?)", fts5Query(words)
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

// PostgreSQL keeps a generated tsvector column "search" on the table.
func (postgresDialect) fullText(table, alias string, words []string) (string, any) {
	return alias + ".search @@ to_tsquery('simple', ?)", tsQuery(words)
}

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
	minPrefixLen     = 3  // runes; shorter prefixes match too much to help
)

// searchWords splits what a user typed into the words both full-text
// engines index: runs of letters, digits and combining marks (marks carry
// the vowels of Arabic, Devanagari and other scripts, so they stay inside
// words). Everything else separates words, which is also how FTS5
// unicode61 and PostgreSQL's parser treat it; operators and quotes that a
// user types therefore never reach the engine as syntax.
func searchWords(q string) []string {
	var words []string
	for _, w := range strings.FieldsFunc(q, func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r))
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

// fts5Query quotes every word as an FTS5 string (all must match) and lets
// the last one match as a prefix, so results appear while a word is typed.
func fts5Query(words []string) string {
	var b strings.Builder
	for i, w := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteByte('"')
		b.WriteString(strings.ReplaceAll(w, `"`, `""`))
		b.WriteByte('"')
		if i == len(words)-1 && len([]rune(w)) >= minPrefixLen {
			b.WriteByte('*')
		}
	}
	return b.String()
}

// tsQuery is fts5Query for PostgreSQL's to_tsquery.
func tsQuery(words []string) string {
	var b strings.Builder
	for i, w := range words {
		if i > 0 {
			b.WriteString(" & ")
		}
		b.WriteByte('\'')
		b.WriteString(strings.NewReplacer(`'`, `''`, `\`, `\\`).Replace(w))
		b.WriteByte('\'')
		if i == len(words)-1 && len([]rune(w)) >= minPrefixLen {
			b.WriteString(":*")
		}
	}
	return b.String()
}
