// Package domain holds Vigil's records, their closed vocabularies and their
// validation rules. It imports no I/O: storage, web and CLI layers depend on it,
// never the other way round, so the rules about what a valid record is live in
// exactly one place.
package domain
