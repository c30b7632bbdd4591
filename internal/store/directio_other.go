//go:build !linux

package store

// oDirect is 0 where the system has no O_DIRECT (or Go does not name it):
// files are written the usual way.
const oDirect = 0
