//go:build !vigilbench

package store

// auditSkipped is always false in a normal build: nothing can turn the audit
// chain or the version history off. Only a build with the vigilbench tag
// (audit_switch_bench.go) can, to measure what they add to a write.
func auditSkipped() bool { return false }
