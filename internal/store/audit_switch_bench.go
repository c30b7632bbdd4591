//go:build vigilbench

package store

import "sync/atomic"

// This file exists only in builds with the vigilbench tag (make bench): the
// benchmark of what the audit chain and the version history add to a write
// turns them off for its baseline writes. No binary that serves users is
// built with the tag.

var auditOff atomic.Bool

// SetAuditForBenchmark turns the audit chain and version history of every
// store in the process off (false) or back on (true).
func SetAuditForBenchmark(on bool) { auditOff.Store(!on) }

func auditSkipped() bool { return auditOff.Load() }
