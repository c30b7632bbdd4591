package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"filippo.io/age"
	"golang.org/x/sys/unix"
)

// backupResult is issue 3's backup budget: `vigil backup` and `vigil
// restore` of the data set, each within 3× the time of copying the raw
// database file.
type backupResult struct {
	DBBytes     int64 // the database file (and its log, if any)
	BackupBytes int64
	Runs        []backupRun
	// Medians over Runs.
	Copy, CopySync, Backup, Restore time.Duration
}

// backupRun is one round: copy, backup, restore, each started with the
// files it reads out of the page cache.
type backupRun struct {
	Copy, CopySync   time.Duration // cp; cp and then fsync of the copy
	Backup, Restore  time.Duration
	BackupCPU        time.Duration // user + sys of vigil backup
	RestoreCPU       time.Duration
	OtherCPU         time.Duration // other processes during the round
	BackupMaxRSS     int64
	RestoreMaxRSS    int64
	RestoredContents string // what the restore printed, last line
}

// measureBackup times cp, vigil backup and vigil restore of the data set
// runs times. Before each step the files it reads are dropped from the page
// cache, so every step reads from the disk as the first copy of a day would;
// every step's output goes to the same disk. vigil backup and vigil restore
// sync what they write before they report success; plain cp does not, so the
// copy is timed both without and with an fsync of the copy.
func measureBackup(ctx context.Context, o options, ds *dataset) (*backupResult, error) {
	dir := filepath.Join(o.work, "backup")
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, err
	}
	idFile := filepath.Join(dir, "identity.txt")
	if err := os.WriteFile(idFile, []byte("# benchmark identity\n"+id.String()+"\n"), 0o600); err != nil {
		return nil, err
	}
	db := filepath.Join(ds.Dir, "vigil.db")
	dbFiles := []string{db, db + "-wal"}
	r := &backupResult{DBBytes: fileBytes(dbFiles...)}

	for i := 0; i < o.backupRuns; i++ {
		log.Printf("backup round %d of %d", i+1, o.backupRuns)
		var run backupRun
		busy0, self0 := systemBusy(), cpuTime()
		var children time.Duration

		// cp, and cp followed by fsync of the copy.
		cp := filepath.Join(dir, "copy.db")
		for _, sync := range []bool{false, true} {
			_ = os.Remove(cp)
			if err := dropCache(dbFiles...); err != nil {
				return r, err
			}
			t0 := time.Now()
			cmd := exec.CommandContext(ctx, "cp", db, cp)
			if out, err := cmd.CombinedOutput(); err != nil {
				return r, fmt.Errorf("cp: %v: %s", err, out)
			}
			if sync {
				if err := fsyncFile(cp); err != nil {
					return r, err
				}
				run.CopySync = time.Since(t0)
			} else {
				run.Copy = time.Since(t0)
			}
			children += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		}
		if err := os.Remove(cp); err != nil {
			return r, err
		}

		// vigil backup.
		bk := filepath.Join(dir, "vigil.backup")
		_ = os.Remove(bk)
		if err := dropCache(dbFiles...); err != nil {
			return r, err
		}
		t, err := runVigil(ctx, o, "backup", "--data", ds.Dir, "--key-file", ds.KeyFile, "--to", bk, "--recipient", id.Recipient().String())
		if err != nil {
			return r, err
		}
		run.Backup, run.BackupCPU, run.BackupMaxRSS = t.Wall, t.User+t.Sys, t.MaxRSS
		children += run.BackupCPU
		r.BackupBytes = fileBytes(bk)

		// vigil restore into a new directory.
		into, key := filepath.Join(dir, "restored"), filepath.Join(dir, "restored.key")
		for _, p := range []string{into, key} {
			if err := os.RemoveAll(p); err != nil {
				return r, err
			}
		}
		if err := dropCache(bk); err != nil {
			return r, err
		}
		t, err = runVigil(ctx, o, "restore", "--from", bk, "--identity", idFile, "--data", into, "--key-file", key)
		if err != nil {
			return r, err
		}
		run.Restore, run.RestoreCPU, run.RestoreMaxRSS = t.Wall, t.User+t.Sys, t.MaxRSS
		children += run.RestoreCPU
		run.RestoredContents = lastLine(t.Output)
		if got := fileBytes(filepath.Join(into, "vigil.db")); got < r.DBBytes/2 {
			return r, fmt.Errorf("the restored database holds %d bytes, the original %d", got, r.DBBytes)
		}
		for _, p := range []string{into, key, bk} {
			if err := os.RemoveAll(p); err != nil {
				return r, err
			}
		}
		run.OtherCPU = max(systemBusy()-busy0-children-(cpuTime()-self0), 0)
		log.Printf("cp %s, cp+fsync %s, backup %s, restore %s (other processes %s)", run.Copy.Round(time.Millisecond),
			run.CopySync.Round(time.Millisecond), run.Backup.Round(time.Millisecond), run.Restore.Round(time.Millisecond), run.OtherCPU.Round(time.Millisecond))
		r.Runs = append(r.Runs, run)
	}
	med := func(f func(backupRun) time.Duration) time.Duration {
		var ds []time.Duration
		for _, x := range r.Runs {
			ds = append(ds, f(x))
		}
		slices.Sort(ds)
		if len(ds) == 0 {
			return 0
		}
		return ds[len(ds)/2]
	}
	r.Copy = med(func(x backupRun) time.Duration { return x.Copy })
	r.CopySync = med(func(x backupRun) time.Duration { return x.CopySync })
	r.Backup = med(func(x backupRun) time.Duration { return x.Backup })
	r.Restore = med(func(x backupRun) time.Duration { return x.Restore })
	return r, nil
}

// dropCache writes back and then drops the files' pages from the page
// cache, so the next read comes from the disk. A file that does not exist
// is skipped.
func dropCache(paths ...string) error {
	for _, p := range paths {
		f, err := os.Open(p)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return err
		}
		err = f.Sync()
		if err == nil {
			err = unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
		}
		f.Close()
		if err != nil {
			return fmt.Errorf("drop %s from the page cache: %w", p, err)
		}
	}
	return nil
}

func fsyncFile(p string) error {
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// fileBytes is the total size of the files that exist among paths.
func fileBytes(paths ...string) int64 {
	var n int64
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}

func (r *backupResult) write(p func(string, ...any), within func(ok bool) string) {
	p("Each round drops the files it reads from the page cache before each step. `vigil backup` and `vigil restore` sync what they write before they finish; `cp` does not, so the copy is also timed with an fsync of the copy. Median of %d rounds; database file %s, backup file %s.\n\n",
		len(r.Runs), mb(r.DBBytes), mb(r.BackupBytes))
	p("| round | cp | cp + fsync | backup | restore | backup CPU | restore CPU | backup max RSS | restore max RSS | other processes' CPU |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for i, x := range r.Runs {
		p("| %d | %.2f s | %.2f s | %.2f s | %.2f s | %.2f s | %.2f s | %s | %s | %.1f s |\n", i+1, x.Copy.Seconds(), x.CopySync.Seconds(),
			x.Backup.Seconds(), x.Restore.Seconds(), x.BackupCPU.Seconds(), x.RestoreCPU.Seconds(), mb(x.BackupMaxRSS), mb(x.RestoreMaxRSS), x.OtherCPU.Seconds())
	}
	p("\n| | median | / cp | / (cp + fsync) | budget | verdict (against cp) |\n|---|---|---|---|---|---|\n")
	for _, x := range []struct {
		what string
		d    time.Duration
	}{{"`vigil backup`", r.Backup}, {"`vigil restore`", r.Restore}} {
		ratio := x.d.Seconds() / r.Copy.Seconds()
		p("| %s | %.2f s | %.2f× | %.2f× | 3× | %s |\n", x.what, x.d.Seconds(), ratio, x.d.Seconds()/r.CopySync.Seconds(), within(ratio <= 3))
	}
	if len(r.Runs) > 0 {
		p("\nThe restore printed: %s\n", strings.TrimSpace(r.Runs[len(r.Runs)-1].RestoredContents))
	}
	p("\n")
}
